import type { ServiceDeps } from './deps.js';

export class LicenseService {
  constructor(private readonly deps: ServiceDeps) {}
}
