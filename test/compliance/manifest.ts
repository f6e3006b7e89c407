import { createHash, createPublicKey, verify } from 'node:crypto';
import canonicalize from 'canonicalize';

/** What a verifier does with an export: the signature over the RFC 8785 canonical manifest, with the published key. */
export function manifestVerifies(publicKeyPem: string, exp: { manifest: unknown; manifest_signature: string }): boolean {
  return verify(null, Buffer.from(canonicalize(exp.manifest)!, 'utf8'), createPublicKey(publicKeyPem), Buffer.from(exp.manifest_signature, 'base64url'));
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
