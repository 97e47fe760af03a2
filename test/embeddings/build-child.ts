// Child process for the cross-process lock test: builds a pack from a given source, reports whether it did.
import { buildPackLocked } from '../../src/engine/embeddings/offline.js';

const [file, source, version, bytes] = process.argv.slice(2);
const built = await buildPackLocked(file!, { file: source!, version: version!, bytes: Number(bytes) });
process.stdout.write(JSON.stringify({ built }));
