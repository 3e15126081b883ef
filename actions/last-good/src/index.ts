// Entry point of the bundled action (dist/index.cjs).
import { run } from './main.js';

void run();
