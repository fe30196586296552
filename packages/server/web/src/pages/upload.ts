import { api, csrf, parseJson, toApiError } from '../api.js';
import { card, empty, errorBox, h, mount } from '../dom.js';
import { fmtBytes, fmtInt, fmtTime } from '../format.js';
import type { PageContext } from '../main.js';
import type { UploadJob } from '../types.js';
import { slot } from '../widgets.js';

/** Sends a file with XMLHttpRequest, because fetch cannot report upload progress. */
function send(
  file: File,
  onProgress: (sent: number, total: number) => void,
  signal: AbortSignal,
): Promise<{ job_id: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/logs/upload');
    xhr.withCredentials = true;
    const token = csrf();
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as { job_id: string });
      else reject(toApiError(xhr.status, body));
    });
    xhr.addEventListener('error', () => reject(toApiError(0, null)));
    signal.addEventListener('abort', () => xhr.abort());
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

function progressBar(id: string, label: string): { el: HTMLElement; set: (ratio: number, text: string) => void } {
  const bar = h('progress', { id, max: '100', value: '0', 'aria-label': label });
  const text = h('span', { class: 'progress-text', id: `${id}-text` });
  return {
    el: h('div', { class: 'progress' }, h('span', { class: 'progress-label' }, label), bar, text),
    set: (ratio, t) => {
      bar.value = Math.round(Math.min(1, Math.max(0, ratio)) * 100);
      text.textContent = t;
    },
  };
}

function jobSummary(job: UploadJob): HTMLElement {
  return h(
    'div',
    { class: 'job-summary' },
    h(
      'dl',
      { class: 'stats', id: 'upload-stats' },
      ...(['accepted', 'duplicates', 'rejected'] as const).map((k) =>
        h('div', { 'data-stat': k }, h('dt', null, k), h('dd', null, fmtInt(job[k]))),
      ),
    ),
    job.errors.length
      ? h(
          'details',
          { class: 'upload-errors' },
          h('summary', null, `${fmtInt(job.errors.length)} line errors`),
          h(
            'ul',
            null,
            job.errors.map((e) =>
              h(
                'li',
                null,
                h('code', null, `line ${e.line}`),
                ' ',
                typeof e.issues === 'string'
                  ? e.issues
                  : e.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; '),
              ),
            ),
          ),
        )
      : null,
  );
}

function recentTable(jobs: UploadJob[]): HTMLElement {
  if (jobs.length === 0) return empty('No uploads yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ['File', 'Status', 'Accepted', 'Rejected', 'Started'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h(
        'tbody',
        null,
        jobs.map((j) =>
          h(
            'tr',
            null,
            h('td', null, j.filename),
            h('td', null, h('span', { class: `badge status-${j.status}` }, j.status)),
            h('td', null, fmtInt(j.accepted)),
            h('td', null, fmtInt(j.rejected)),
            h('td', { class: 'muted' }, fmtTime(j.created_at)),
          ),
        ),
      ),
    ),
  );
}

/** Upload: pick or drop a JSON / NDJSON / CSV (optionally gzipped) file, watch it upload and get processed. */
export function uploadPage({ signal }: PageContext): HTMLElement {
  const input = h('input', {
    type: 'file',
    id: 'upload-file',
    accept: '.json,.ndjson,.jsonl,.csv,.gz,.log,.txt',
    class: 'visually-hidden',
  });
  const status = h('div', { class: 'upload-status', id: 'upload-status', 'aria-live': 'polite' });
  const recent = h('div', null);
  const loadRecent = (): void =>
    mount(
      recent,
      slot(
        api<{ uploads?: UploadJob[]; jobs?: UploadJob[] } | UploadJob[]>('/api/logs/uploads/recent', { signal }),
        (r) => recentTable(Array.isArray(r) ? r : (r.uploads ?? r.jobs ?? [])),
        signal,
      ),
    );
  loadRecent();

  const start = (file: File): void => {
    const sending = progressBar('upload-progress', 'Uploading');
    const processing = progressBar('process-progress', 'Processing');
    const result = h('div', null);
    mount(
      status,
      h('p', null, h('strong', null, file.name), ' ', h('span', { class: 'muted' }, fmtBytes(file.size))),
      sending.el,
      processing.el,
      result,
    );
    send(
      file,
      (sent, total) => sending.set(total ? sent / total : 0, `${fmtBytes(sent)} of ${fmtBytes(total)}`),
      signal,
    )
      .then(async ({ job_id }) => {
        sending.set(1, 'Sent');
        for (;;) {
          const job = await api<UploadJob>(`/api/logs/uploads/${encodeURIComponent(job_id)}`, { signal });
          const total = job.total_lines ?? 0;
          processing.set(
            total ? job.processed / total : job.status === 'completed' ? 1 : 0,
            `${job.status} · ${fmtInt(job.processed)}${total ? ` of ${fmtInt(total)}` : ''} lines`,
          );
          if (job.status === 'completed' || job.status === 'failed') {
            if (job.status === 'completed') processing.set(1, `completed · ${fmtInt(job.processed)} lines`);
            mount(
              result,
              job.status === 'failed' ? errorBox(new Error('The file could not be processed.')) : null,
              jobSummary(job),
            );
            status.setAttribute('data-done', job.status);
            loadRecent();
            return;
          }
          await new Promise((r) => setTimeout(r, 400));
          if (signal.aborted) return;
        }
      })
      .catch((e: unknown) => {
        if (!signal.aborted) mount(result, errorBox(e));
      });
  };

  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (f) start(f);
  });
  const drop = h(
    'label',
    { class: 'dropzone', for: 'upload-file', tabindex: '0' },
    h('strong', null, 'Drop a log file here or choose one'),
    h('span', { class: 'muted' }, 'JSON array, NDJSON or CSV with a header — gzip accepted.'),
  );
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) start(f);
  });
  return h(
    'div',
    { class: 'page' },
    h(
      'div',
      { class: 'grid' },
      card('Upload logs', h('div', null, input, drop, status), { wide: true }),
      card('Recent uploads', recent, { wide: true }),
    ),
  );
}
