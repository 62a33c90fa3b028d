/**
 * The alembic revisions of MLflow's tracking schema (mlflow/store/db_migrations/versions),
 * oldest first: each revises the one before it. A database records the last one applied in
 * `alembic_version`. mlr reads every database on this chain (adapting to the columns that
 * are present), reads a newer head best-effort with a warning, and writes only databases
 * whose head it knows.
 */

export interface KnownHead {
  revision: string;
  /** what the migration did, from its docstring */
  change: string;
  /** the migration's "Create Date" (yyyy-mm-dd) */
  created: string;
  /** an MLflow release known to ship this as its head, where the corpus or conformance data shows one */
  release?: string;
}

/** The chain as MLflow's master had it in early 2026, oldest first. */
export const MLFLOW_HEADS: readonly KnownHead[] = [
  { revision: '451aebb31d03', change: 'add metric step', created: '2019-04-22' },
  { revision: '90e64c465722', change: 'migrate user column to tags', created: '2019-05-29' },
  { revision: '181f10493468', change: 'allow nulls for metric values (is_nan)', created: '2019-07-10' },
  { revision: 'df50e92ffc5e', change: 'add experiment tags table', created: '2019-07-15' },
  { revision: '7ac759974ad8', change: 'update run tags with larger limit', created: '2019-07-30' },
  { revision: '89d4b8295536', change: 'create latest metrics table', created: '2019-08-20' },
  { revision: '2b4d017a5e9b', change: 'add model registry tables', created: '2019-10-14' },
  { revision: 'cfd24bdc0731', change: 'update run status constraint with killed', created: '2019-10-11' },
  { revision: '0a8213491aaa', change: 'drop duplicate killed constraint', created: '2020-01-28' },
  { revision: '728d730b5ebd', change: 'add registered model tags table', created: '2020-06-26' },
  { revision: '27a6a02d2cf1', change: 'add model version tags table', created: '2020-06-26' },
  { revision: '84291f40a231', change: 'add run_link to model_version', created: '2020-07-16' },
  { revision: 'a8c4a736bde6', change: 'allow nulls for run_id', created: '2020-12-02' },
  { revision: '39d1c3be5f05', change: 'add is_nan constraint for metrics tables', created: '2021-03-16' },
  { revision: 'c48cb773bb87', change: 'reset default value for is_nan (MySQL)', created: '2021-04-02' },
  { revision: 'bd07f7e963c5', change: 'create index on run_uuid', created: '2022-03-03', release: '1.2x' },
  { revision: '0c779009ac13', change: 'add deleted_time to runs', created: '2022-07-27' },
  { revision: 'cc1f77228345', change: 'change param value length to 500', created: '2022-08-04' },
  { revision: '97727af70f4d', change: 'add creation_time and last_update_time to experiments', created: '2022-08-26' },
  { revision: '3500859a5d39', change: 'add model aliases table', created: '2023-03-09' },
  { revision: '7f2a7d5fae7d', change: 'add datasets, inputs, input_tags tables', created: '2023-03-23' },
  { revision: '2d6e25af4d3e', change: 'increase max param value length to 8000', created: '2023-09-25' },
  { revision: 'acf3f17fdcc7', change: 'add storage_location to model_versions', created: '2023-10-23', release: '2.8–2.12' },
  { revision: '867495a8f9d4', change: 'add trace tables', created: '2024-04-27' },
  { revision: '5b0e9adcef9c', change: 'add cascade deletion to trace tables', created: '2024-05-22', release: '2.13' },
  { revision: '4465047574b1', change: 'increase max dataset schema size', created: '2024-07-09' },
  { revision: 'f5a4f2784254', change: 'increase run tag value limit to 8000', created: '2024-09-18' },
  { revision: '0584bdc529eb', change: 'add cascading deletion to datasets from experiments', created: '2024-11-11' },
  { revision: '400f98739977', change: 'add logged model tables', created: '2025-02-06' },
  { revision: '6953534de441', change: 'add step to inputs table', created: '2025-02-13' },
  { revision: 'bda7b8c39065', change: 'increase model version tag value limit', created: '2025-06-23' },
  { revision: 'cbc13b556ace', change: 'add V3 trace schema columns', created: '2025-06-17' },
  { revision: '770bee3ae1dd', change: 'add assessments table', created: '2025-06-23' },
  { revision: 'a1b2c3d4e5f6', change: 'add spans table', created: '2025-08-03' },
  { revision: 'de4033877273', change: 'create entity_associations table', created: '2025-07-28' },
  { revision: '1a0cddfcaa16', change: 'add webhooks and webhook_events tables', created: '2025-07-07' },
  { revision: '534353b11cbc', change: 'add scorer tables', created: '2025-01-27' },
  { revision: '71994744cf8e', change: 'add evaluation datasets', created: '2025-08-12' },
  { revision: '3da73c924c2f', change: 'add outputs to dataset record', created: '2025-01-16' },
  { revision: 'bf29a5ff90ea', change: 'add jobs table', created: '2025-09-11', release: '3.x' },
  { revision: '1bd49d398cd23', change: 'add secrets tables', created: '2025-11-20' },
  { revision: 'b7c8d9e0f1a2', change: 'add trace metrics table', created: '2025-12-04' },
  { revision: '5d2d30f0abce', change: 'update job table', created: '2025-12-16' },
  { revision: 'c9d4e5f6a7b8', change: 'add routing strategy to endpoints', created: '2025-12-18' },
  { revision: '2c33131f4dae', change: 'add online scoring configs table', created: '2026-01' },
  { revision: 'd3e4f5a6b7c8', change: 'add display_name to endpoint_bindings', created: '2026-01' },
  { revision: 'd0e1f2a3b4c5', change: 'add experiment_id to endpoints', created: '2026-01' },
  { revision: 'c8d9e0f1a2b3', change: 'add span metrics and dimension attributes', created: '2026-01' },
  { revision: '1b5f0d9ad7c1', change: 'add workspace columns and catalog table', created: '2026-01-16' },
];

/** The head a database created by `mlr` is stamped with: MLflow 2.12's. */
export const CREATED_HEAD = 'acf3f17fdcc7';

const byRevision = new Map(MLFLOW_HEADS.map((h) => [h.revision, h]));

/** The known head of that revision, or undefined. */
export function knownHead(revision: string): KnownHead | undefined {
  return byRevision.get(revision);
}
