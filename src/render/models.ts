/**
 * Rendering the model registry and MLflow 3 logged models. JSON uses MLflow's REST shapes
 * (RegisteredModel, ModelVersion, LoggedModel); extras mlr adds carry an `mlr_` prefix.
 */
import type { LoggedModelView, ModelView, VersionView } from '../commands/models.js';
import type { ModelVersion, RegisteredModel } from '../store/backend.js';
import { escapeControls, formatIso, formatNumberFull, formatNumberShort, formatRelative, jsonNumber } from './format.js';
import type { OutputMode } from './output.js';
import { renderAligned, renderCsv, renderJson, renderTsv, type Cell, type Column } from './table.js';

export type ModelListFormat = 'table' | 'json' | 'csv' | 'tsv';

/** A model version in MLflow's REST ModelVersion shape (version as a string). */
function versionJson(v: ModelVersion, extra: Partial<VersionView> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creation_timestamp,
    last_updated_timestamp: v.last_updated_timestamp,
    user_id: v.user_id,
    current_stage: v.current_stage,
    description: v.description,
    source: v.source,
    run_id: v.run_id,
    status: v.status,
    status_message: v.status_message,
    tags: v.tags,
    run_link: v.run_link,
    aliases: v.aliases,
  };
  if (v.storage_location !== null && v.storage_location !== v.source) out['storage_location'] = v.storage_location;
  if (extra.flavors !== undefined) out['mlr_flavors'] = extra.flavors;
  if (extra.local_path !== undefined) out['mlr_local_path'] = extra.local_path;
  return out;
}

/** A registered model in MLflow's REST RegisteredModel shape. */
function registeredModelJson(m: RegisteredModel, views: VersionView[] = []): Record<string, unknown> {
  return {
    name: m.name,
    creation_timestamp: m.creation_timestamp,
    last_updated_timestamp: m.last_updated_timestamp,
    description: m.description,
    latest_versions: m.latest_versions.map((v) => {
      const view = views.find((x) => x.version.version === v.version);
      return view ? versionJson(v, { flavors: view.flavors }) : versionJson(v);
    }),
    tags: m.tags,
    aliases: m.aliases,
  };
}

const aliasText = (m: RegisteredModel, sep: string): string => m.aliases.map((a) => `${a.alias}${sep}v${a.version}`).join(', ');
const tagText = (tags: { key: string; value: string }[]): string => tags.map((t) => `${t.key}=${t.value}`).join(', ');
const flavorText = (f: string[] | null): string => (f === null ? '' : f.join(', '));
/** A value on one terminal line: line breaks as ⏎, control characters escaped (issue 11 #33). */
const oneLine = (s: string): string => escapeControls(s.replace(/\r?\n/g, ' ⏎ '));

function stageCell(stage: string): Cell {
  switch (stage) {
    case 'Production':
      return { text: stage, tone: 'green' };
    case 'Staging':
      return { text: stage, tone: 'yellow' };
    case 'Archived':
    case 'Deleted_Internal':
      return { text: stage, tone: 'dim' };
    default:
      return stage;
  }
}

export function renderModelList(views: ModelView[], format: ModelListFormat, mode: OutputMode): string {
  if (format === 'json') return renderJson(views.map((v) => registeredModelJson(v.model, v.versions)));
  if (format === 'csv' || format === 'tsv' || !mode.tty) {
    const headers = [
      'name',
      'versions',
      'latest_version',
      'latest_stage',
      'aliases',
      'flavors',
      'tags',
      'creation_timestamp',
      'last_updated_timestamp',
      'description',
    ];
    const rows = views.map((v) => {
      const latest = v.versions[v.versions.length - 1];
      return [
        v.model.name,
        String(v.live_versions),
        latest?.version.version ?? '',
        latest?.version.current_stage ?? '',
        aliasText(v.model, '='),
        flavorText(latest?.flavors ?? null),
        tagText(v.model.tags),
        formatIso(v.model.creation_timestamp),
        formatIso(v.model.last_updated_timestamp),
        v.model.description ?? '',
      ];
    });
    return format === 'csv' ? renderCsv(headers, rows) : renderTsv(headers, rows);
  }
  if (views.length === 0) return '';
  const cols: Column[] = [
    { header: 'Name', maxWidth: 40 },
    { header: 'Versions', align: 'right' },
    { header: 'Latest' },
    { header: 'Aliases', maxWidth: 30 },
    { header: 'Flavors', maxWidth: 30 },
    { header: 'Updated', optional: true },
    { header: 'Description', maxWidth: 40, optional: true },
  ];
  const dash: Cell = { text: '-', tone: 'dim' };
  const rows: Cell[][] = views.map((v) => {
    const latest = v.versions[v.versions.length - 1];
    const lv = latest ? `v${latest.version.version}${latest.version.current_stage !== 'None' ? ` (${latest.version.current_stage})` : ''}` : '';
    return [
      v.model.name,
      String(v.live_versions),
      lv || dash,
      aliasText(v.model, ' → ') || dash,
      flavorText(latest?.flavors ?? null) || dash,
      formatRelative(v.model.last_updated_timestamp, mode.now),
      v.model.description ? oneLine(v.model.description) : dash,
    ];
  });
  return renderAligned(cols, rows, mode).text;
}

function versionRows(views: VersionView[], mode: OutputMode): { cols: Column[]; rows: Cell[][] } {
  const dash: Cell = { text: '-', tone: 'dim' };
  const cols: Column[] = [
    { header: 'Version', align: 'right' },
    { header: 'Stage' },
    { header: 'Status' },
    { header: 'Aliases', maxWidth: 24 },
    { header: 'Run', maxWidth: 40 },
    { header: 'Created' },
    { header: 'Flavors', maxWidth: 30 },
    { header: 'Tags', maxWidth: 30, optional: true },
    { header: 'Description', maxWidth: 30, optional: true },
  ];
  const rows: Cell[][] = views.map((x) => {
    const v = x.version;
    const run = v.run_id
      ? `${v.run_id.slice(0, 8)}${x.run_name ? ` ${x.run_name}` : ''}${x.run_stage === 'deleted' ? ' (deleted)' : x.run_stage === null ? ' (not in store)' : ''}`
      : '';
    return [
      String(v.version),
      stageCell(v.current_stage),
      v.status === 'READY' ? v.status : { text: v.status, tone: 'red' },
      v.aliases.join(', ') || dash,
      run ? (x.run_stage === 'active' ? run : { text: run, tone: 'yellow' }) : dash,
      formatRelative(v.creation_timestamp, mode.now),
      flavorText(x.flavors) || dash,
      tagText(v.tags) || dash,
      v.description ? oneLine(v.description) : dash,
    ];
  });
  return { cols, rows };
}

const VERSION_HEADERS = [
  'name',
  'version',
  'current_stage',
  'status',
  'aliases',
  'run_id',
  'run_name',
  'source',
  'flavors',
  'tags',
  'creation_timestamp',
  'last_updated_timestamp',
  'description',
];

function versionMachineRow(x: VersionView): string[] {
  const v = x.version;
  return [
    v.name,
    v.version,
    v.current_stage,
    v.status,
    v.aliases.join(','),
    v.run_id ?? '',
    x.run_name ?? '',
    v.source,
    flavorText(x.flavors),
    tagText(v.tags),
    formatIso(v.creation_timestamp),
    formatIso(v.last_updated_timestamp),
    v.description ?? '',
  ];
}

export function renderVersions(views: VersionView[], format: ModelListFormat, mode: OutputMode): string {
  if (format === 'json') return renderJson(views.map((x) => versionJson(x.version, { flavors: x.flavors })));
  if (format === 'csv' || format === 'tsv' || !mode.tty) {
    const rows = views.map(versionMachineRow);
    return format === 'csv' ? renderCsv(VERSION_HEADERS, rows) : renderTsv(VERSION_HEADERS, rows);
  }
  if (views.length === 0) return '';
  const { cols, rows } = versionRows(views, mode);
  return renderAligned(cols, rows, mode).text;
}

export function renderModelDescription(view: ModelView, format: 'table' | 'json', mode: OutputMode): string {
  const m = view.model;
  if (format === 'json') {
    return renderJson({
      registered_model: registeredModelJson(m, view.versions),
      model_versions: view.versions.map((x) => versionJson(x.version, { flavors: x.flavors, local_path: x.local_path })),
    });
  }
  const pairs: [string, string][] = [
    ['name', m.name],
    ['description', m.description ?? ''],
    [
      'creation_timestamp',
      mode.tty ? `${formatIso(m.creation_timestamp)} (${formatRelative(m.creation_timestamp, mode.now)})` : formatIso(m.creation_timestamp),
    ],
    ['last_updated_timestamp', formatIso(m.last_updated_timestamp)],
    ['versions', `${view.live_versions}` + (view.deleted_versions ? ` (+${view.deleted_versions} deleted)` : '')],
  ];
  for (const a of m.aliases) pairs.push([`aliases.${a.alias}`, `v${a.version}`]);
  for (const t of m.tags) pairs.push([`tags.${t.key}`, t.value]);
  if (!mode.tty) {
    const head = renderTsv(['key', 'value'], pairs).split('\n').slice(1).join('\n');
    if (view.versions.length === 0) return head;
    return head + '\n' + renderTsv(VERSION_HEADERS, view.versions.map(versionMachineRow));
  }
  const w = Math.max(...pairs.map(([k]) => k.length));
  const key = (k: string): string => (mode.color ? mode.chalk.dim(k.padEnd(w)) : k.padEnd(w));
  let text = pairs.map(([k, v]) => `${key(escapeControls(k))}  ${oneLine(v)}`).join('\n') + '\n';
  if (view.versions.length > 0) {
    const { cols, rows } = versionRows(view.versions, mode);
    text += '\n' + renderAligned(cols, rows, mode).text;
  }
  return text;
}

// ------------------------------------------------------------------ logged models

/** A logged model in MLflow 3's REST LoggedModel shape. */
function loggedModelJson(x: LoggedModelView): Record<string, unknown> {
  const m = x.model;
  return {
    info: {
      model_id: m.model_id,
      experiment_id: m.experiment_id,
      name: m.name,
      creation_timestamp_ms: m.creation_timestamp,
      last_updated_timestamp_ms: m.last_updated_timestamp,
      artifact_uri: m.artifact_location,
      status: m.status,
      status_message: m.status_message,
      model_type: m.model_type,
      source_run_id: m.source_run_id,
      lifecycle_stage: m.lifecycle_stage,
      tags: x.tags,
    },
    data: {
      params: x.params,
      metrics: x.metrics.map((k) => ({ ...k, value: jsonNumber(k.value), model_id: m.model_id })),
    },
    mlr_flavors: x.flavors,
  };
}

function metricsText(x: LoggedModelView, short: boolean): string {
  return x.metrics
    .map((k) => `${k.key}${k.dataset_name ? `[${k.dataset_name}]` : ''}=${short ? formatNumberShort(k.value, 4) : formatNumberFull(k.value)}`)
    .join(short ? ' ' : ',');
}

export function renderLoggedModels(views: LoggedModelView[], format: ModelListFormat, mode: OutputMode): string {
  if (format === 'json') return renderJson(views.map(loggedModelJson));
  if (format === 'csv' || format === 'tsv' || !mode.tty) {
    const headers = ['model_id', 'name', 'experiment_id', 'experiment', 'source_run_id', 'status', 'flavors', 'metrics', 'creation_timestamp'];
    const rows = views.map((x) => [
      x.model.model_id,
      x.model.name,
      x.model.experiment_id,
      x.experiment.experiment.name,
      x.model.source_run_id ?? '',
      x.model.status,
      flavorText(x.flavors),
      metricsText(x, false),
      formatIso(x.model.creation_timestamp),
    ]);
    return format === 'csv' ? renderCsv(headers, rows) : renderTsv(headers, rows);
  }
  if (views.length === 0) return '';
  const dash: Cell = { text: '-', tone: 'dim' };
  const cols: Column[] = [
    { header: 'Model ID' },
    { header: 'Name', maxWidth: 24 },
    { header: 'Experiment', maxWidth: 24 },
    { header: 'Run', maxWidth: 30 },
    { header: 'Status' },
    { header: 'Created' },
    { header: 'Flavors', maxWidth: 28, optional: true },
    { header: 'Metrics', maxWidth: 60, optional: true },
  ];
  const rows: Cell[][] = views.map((x) => [
    x.model.model_id,
    x.model.name,
    x.experiment.experiment.name,
    x.model.source_run_id ? `${x.model.source_run_id.slice(0, 8)}${x.run_name ? ` ${x.run_name}` : ''}` : dash,
    x.model.status === 'READY' ? { text: 'READY', tone: 'green' } : x.model.status === 'FAILED' ? { text: 'FAILED', tone: 'red' } : x.model.status,
    formatRelative(x.model.creation_timestamp, mode.now),
    flavorText(x.flavors) || dash,
    metricsText(x, true) || dash,
  ]);
  return renderAligned(cols, rows, mode).text;
}
