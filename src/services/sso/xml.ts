import { DOMParser } from '@xmldom/xmldom';

type XmlDocument = ReturnType<DOMParser['parseFromString']>;

/**
 * XML from an identity provider, parsed only if it is plain: no DOCTYPE (so no entities to expand, no
 * external references to resolve) and well-formed. Every SAML and metadata document goes through here.
 */
export class UnsafeXml extends Error {}

export function parseIdpXml(text: string): XmlDocument {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new UnsafeXml('the XML has a DOCTYPE; identity provider documents never need one');
  const problems: string[] = [];
  const doc = new DOMParser({
    locator: {},
    errorHandler: { warning: () => undefined, error: (m: string) => void problems.push(m), fatalError: (m: string) => void problems.push(m) },
  }).parseFromString(text, 'text/xml');
  if (problems.length > 0 || !doc?.documentElement) throw new UnsafeXml(`the XML is not well-formed: ${(problems[0] ?? 'no root element').split('\n')[0].slice(0, 200)}`);
  return doc;
}

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export function elements(parent: XmlDocument | Element, ns: string, name: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns, name) as unknown as ArrayLike<Element>);
}

export function textOf(el: Element | undefined): string | null {
  const t = el?.textContent?.trim();
  return t ? t : null;
}
