import type { Command } from '../command.js';
import { createAdmin } from './create-admin.js';
import { artifacts, datasets } from './data.js';
import { alias, models, promote, rollback, tag, versions } from './models.js';
import { predict } from './predict.js';
import { cleanup, experiments, runs } from './runs.js';
import { status } from './status.js';
import { revokeTokens, rotateKeys } from './tokens.js';
import { train } from './train.js';

/** Every `mlops` subcommand, in the order `mlops --help` lists them. */
export const COMMANDS: Command[] = [
  train,
  runs,
  experiments,
  models,
  versions,
  promote,
  rollback,
  alias,
  tag,
  predict,
  datasets,
  artifacts,
  createAdmin,
  revokeTokens,
  rotateKeys,
  status,
  cleanup,
];
