/**
 * Every row of `npm run bench`, in the order printed. A row module exports `rows: Row[]`; a new one is added here.
 */
import type { Row } from '../lib.js';
import { rows as check } from './check.js';
import { rows as large } from './large-description.js';
import { rows as parser } from './parser.js';
import { rows as probe } from './probe.js';
import { rows as startup } from './startup.js';

export const rows: readonly Row[] = [...startup, ...check, ...large, ...probe, ...parser];
