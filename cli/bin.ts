// Entry of the bundled command line (scripts/build-cli.js → dist-cli/bin.js), which starts faster
// than running the TypeScript sources through tsx: `npm start` uses it for the browser mode.
import { run } from './main.js';

process.exitCode = await run(process.argv.slice(2));
