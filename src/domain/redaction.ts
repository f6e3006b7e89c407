import ipaddr from 'ipaddr.js';

/**
 * PII redaction for exports: email addresses, phone numbers and IP addresses in any text become placeholders.
 * Regular expressions rather than a phone-number library: an export runs this over every cell of a million
 * rows, and what must be caught is the shapes people and logs write (E.164, +CC groups, (555) 123-4567,
 * 555-123-4567), not a number's validity. Timestamps and ids, which fill audit data, must not look like a
 * phone: so a bare digit run is not one unless it carries a leading + or the grouping of a written number.
 */

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const PHONE = /(?:\+\d{7,15}\b)|(?:\b\d{3} \d{3} \d{4}\b)|(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4})|(?:\(\d{3}\)[ .-]?\d{3}[ .-]\d{4})|(?:\b\d{3}[.-]\d{3}[.-]\d{4}\b)/g;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
// Candidates only: each is confirmed by ipaddr.js, so times (12:00:00) and hashes are left alone.
const IPV6 = /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:]|\.\d)/g;

export const REDACTED = { email: '[redacted-email]', phone: '[redacted-phone]', ip: '[redacted-ip]' } as const;

/** Text with every email, phone number and IP address replaced. Cheap when the text holds none. */
export function redactPii(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(EMAIL, REDACTED.email);
  if (out.includes(':')) out = out.replace(IPV6, (m) => (m.includes(':') && ipaddr.IPv6.isValid(m) ? REDACTED.ip : m));
  if (out.includes('.')) out = out.replace(IPV4, (m) => (ipaddr.IPv4.isValidFourPartDecimal(m) ? REDACTED.ip : m));
  out = out.replace(PHONE, REDACTED.phone);
  return out;
}
