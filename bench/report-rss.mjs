// Preloaded (node --import) into a CLI run whose peak memory is measured: at
// exit it writes the process's own maxRSS (bytes) to $M3S_RSS_FILE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.M3S_RSS_FILE) writeFileSync(process.env.M3S_RSS_FILE, String(process.resourceUsage().maxRSS * 1024));
});
