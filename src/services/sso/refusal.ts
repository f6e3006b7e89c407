/**
 * A login the service refuses. `reason` is precise and goes to the SSO audit for the administrator; the
 * browser is told only that single sign-on failed and the reference to quote.
 */
export class SsoRefusal extends Error {
  constructor(
    readonly reason: string,
    readonly known: { subject?: string | null; email?: string | null } = {},
  ) {
    super(reason);
  }
}
