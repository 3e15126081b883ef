// The certificate the proxy serves: a Certificate Manager certificate downloaded with the VM's service account
// (the metadata service's token, then GET .../certificates/{id}:getContent; the account needs
// certificate-manager.certificates.downloader on it), or, without one, a self-signed certificate made at start.
// Never a key in the image, the metadata or a log; the files go to the run directory with the key at 0600.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudApiError, fetchInstanceToken, getCloudJson, joinUrl, type CloudClientOptions } from '../../shs/src/secrets/cloud-api.js';
import { selfSigned } from './self-signed.js';

export class CertificateError extends CloudApiError {
  override name = 'CertificateError';
}

const certificateError = (message: string) => new CertificateError(message);

export interface CertificateContent {
  /** PEM: the certificate, then its chain. */
  chain: string;
  /** PEM private key. */
  key: string;
  /** Where it came from, for logs ("certificate-manager <id>" or "self-signed"). */
  source: string;
}

export interface CertificateManagerOptions extends CloudClientOptions {
  metadataUrl: string;
  certificateManagerUrl: string;
}

/** Downloads the certificate's chain and private key with the VM's service account. */
export async function downloadCertificate(options: CertificateManagerOptions, certificateId: string): Promise<CertificateContent> {
  const token = await fetchInstanceToken(options, 'Certificate Manager', certificateError);
  const hint = (status: number) =>
    status === 403
      ? ` (the VM's service account lacks certificate-manager.certificates.downloader on certificate ${certificateId})`
      : status === 404
        ? ` (no certificate ${certificateId}, or it is not issued yet: a managed certificate waits for its DNS challenge)`
        : '';
  const body = (await getCloudJson(options, certificateError, {
    what: `Certificate Manager: cannot download certificate ${certificateId}`,
    url: joinUrl(options.certificateManagerUrl, `/certificate-manager/v1/certificates/${encodeURIComponent(certificateId)}:getContent?privateKeyFormat=PKCS8`),
    headers: { Authorization: `Bearer ${token}` },
    hint,
    secrets: [token],
  })) as { certificateChain?: unknown; privateKey?: unknown } | null;
  const chain = Array.isArray(body?.certificateChain) ? body.certificateChain.filter((c): c is string => typeof c === 'string') : [];
  if (chain.length === 0 || !chain.every((c) => c.includes('-----BEGIN CERTIFICATE-----')))
    throw new CertificateError(`Certificate Manager: certificate ${certificateId} came without a PEM certificateChain`);
  if (typeof body?.privateKey !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(body.privateKey))
    throw new CertificateError(`Certificate Manager: certificate ${certificateId} came without a PEM privateKey`);
  return { chain: chain.map((c) => c.trimEnd()).join('\n') + '\n', key: body.privateKey, source: `certificate-manager ${certificateId}` };
}

export function selfSignedContent(names: string[]): CertificateContent {
  const c = selfSigned(names);
  return { chain: c.cert, key: c.key, source: 'self-signed' };
}

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** The files nginx reads, in `dir` (the key readable by this user only). */
export function certificateFiles(dir: string): CertificateFiles {
  return { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
}

/** Writes the certificate; returns a fingerprint of what was written (to tell a renewal from the same one). */
export function writeCertificate(dir: string, content: CertificateContent): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = certificateFiles(dir);
  writeFileSync(`${files.keyFile}.tmp`, content.key, { mode: 0o600 });
  writeFileSync(`${files.certFile}.tmp`, content.chain, { mode: 0o644 });
  // Renamed into place, so a reload never reads a half-written file.
  renameSync(`${files.keyFile}.tmp`, files.keyFile);
  renameSync(`${files.certFile}.tmp`, files.certFile);
  return fingerprint(content);
}

export function fingerprint(content: CertificateContent): string {
  return createHash('sha256').update(content.chain).update('\0').update(content.key).digest('hex');
}
