// SPDX-License-Identifier: GPL-2.0-only
/** Every subcommand of `vfio-reset`, in the order its help lists them. */
import type { Command } from './command.ts';
import { bisectCommand } from './bisect.ts';
import { runCommand } from './run.ts';
import { smokeCommand } from './smoke.ts';
import { imagesCommand } from './images.ts';
import { doctorCommand } from './doctor.ts';
import { qualifyCommand } from './qualify.ts';
import { mergeCommand } from './merge.ts';
import { shellCommand } from './shell.ts';
import { lavaJobsCommand } from './lava-jobs.ts';

export const COMMANDS: readonly Command[] = [
  runCommand,
  bisectCommand,
  qualifyCommand,
  mergeCommand,
  lavaJobsCommand,
  smokeCommand,
  shellCommand,
  imagesCommand,
  doctorCommand,
];
