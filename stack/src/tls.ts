// A self-signed certificate for the local proxy, made with openssl on first use.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Certificate {
  certFile: string;
  keyFile: string;
}

export async function ensureSelfSigned(dir: string, hosts: string[] = ['localhost', '127.0.0.1']): Promise<Certificate> {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '825', '-subj', '/CN=shs.local',
      '-addext', `subjectAltName=${san}`,
    ]);
  } catch (err) {
    throw new Error(`openssl could not make a certificate: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
  }
  return { certFile, keyFile };
}
