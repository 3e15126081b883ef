// The job summary (Markdown) for a build, or for a failure: what was built, where it went, what it cost.
import { escapeCell as esc } from '../../common/src/markdown.js';
import type { BuildReport } from './build-and-push.js';

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function renderSummary(report: BuildReport | undefined, error: Error | undefined, elapsedMs: number): string {
  const lines: string[] = [];
  if (!report) {
    lines.push('## build-image: failed', '', `**Error:** ${esc(error?.message ?? 'unknown error')}`, '', `Time: ${sec(elapsedMs)}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`## build-image: ${error ? 'failed' : report.title}`, '');
  if (error) lines.push(`**Error:** ${esc(error.message)}`, '');
  lines.push('| | |', '|---|---|');
  lines.push(`| image | ${report.image ? `\`${report.image}\`` : '(not pushed)'} |`);
  lines.push(`| digest | \`${report.digest}\` |`);
  if (report.tags.length > 0) lines.push(`| tags | ${report.tags.map((t) => `\`${t}\``).join('<br>')} |`);
  lines.push(`| size | ${mib(report.size)} compressed, ${report.layers.length} layers |`);
  if (report.push) lines.push(`| blobs | ${report.push.blobsUploaded} uploaded (${mib(report.push.bytesUploaded)}), ${report.push.blobsReused} already in the registry |`);
  if (report.output) lines.push(`| output | \`${report.output}\` |`);
  lines.push(`| created | ${report.created} (from ${report.createdFrom}) |`);
  lines.push(`| time | ${sec(report.timings.totalMs)} (build ${sec(report.timings.buildMs)}, push ${sec(report.timings.pushMs)}) |`);
  lines.push('', '| layer | digest | size | uncompressed | pushed |', '|---|---|---|---|---|');
  for (const l of report.layers) {
    const blob = report.push?.repositories.flatMap((r) => r.blobs).filter((b) => b.digest === l.digest) ?? [];
    const pushed = blob.length === 0 ? '-' : blob.some((b) => b.uploaded) ? 'uploaded' : 'reused';
    lines.push(`| ${esc(l.name)} | \`${l.digest.slice(0, 19)}…\` | ${mib(l.size)} | ${mib(l.uncompressedSize)} | ${pushed} |`);
  }
  return `${lines.join('\n')}\n`;
}
