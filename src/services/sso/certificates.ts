import { X509Certificate } from 'node:crypto';

export interface CertificateInfo {
  pem: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
}

/** A PEM block, or the bare base64 body IdP consoles and metadata hand out, as one PEM. */
export function toPem(raw: string): string | null {
  const body = raw
    .replace(/-----BEGIN CERTIFICATE-----|-----END CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  if (!body || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return null;
  const lines = body.match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`;
}

/** The certificate's facts, or a sentence on why it is not one we can pin. */
export function inspectCertificate(raw: string, now: Date): { info: CertificateInfo; problem: string | null } | { info: null; problem: string } {
  const pem = toPem(raw);
  if (!pem) return { info: null, problem: 'is not a PEM or base64 X.509 certificate' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return { info: null, problem: 'does not parse as an X.509 certificate' };
  }
  const info: CertificateInfo = {
    pem,
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprintSha256: cert.fingerprint256,
  };
  const key = cert.publicKey;
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    return { info, problem: 'has an RSA key shorter than 2048 bits' };
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') return { info, problem: `has a ${key.asymmetricKeyType} key; RSA or EC is needed` };
  if (new Date(cert.validTo).getTime() <= now.getTime()) return { info, problem: `expired on ${info.notAfter}` };
  if (new Date(cert.validFrom).getTime() > now.getTime() + 60_000) return { info, problem: `is not valid before ${info.notBefore}` };
  return { info, problem: null };
}
