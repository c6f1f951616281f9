import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateMasterKey, parseMasterKeys, type MasterKeys } from "./secret-box";

/**
 * OPS_MASTER_KEY when given; else `<dataDir>/master.key`, generated on first use with
 * mode 0600 (the caller warns loudly: losing the file loses every stored secret).
 * A worker on another machine must be given OPS_MASTER_KEY.
 */
export function loadMasterKeys(opts: {
  envKey?: string;
  dataDir?: string;
  /** false for workers: a key of their own could not open what the API sealed. */
  generate?: boolean;
  onGenerated?: (file: string) => void;
}): MasterKeys {
  if (opts.envKey) {
    try {
      return parseMasterKeys(opts.envKey);
    } catch (e) {
      throw new Error(`Invalid configuration: OPS_MASTER_KEY ${(e as Error).message}`);
    }
  }
  if (!opts.dataDir) throw new Error("Invalid configuration: OPS_MASTER_KEY is required (no data directory to keep a key file in)");
  const file = join(opts.dataDir, "master.key");
  if (!existsSync(file)) {
    if (opts.generate === false) {
      throw new Error(`Invalid configuration: OPS_MASTER_KEY: not set, and no key file at ${file} (use the API's key)`);
    }
    mkdirSync(opts.dataDir, { recursive: true });
    writeFileSync(file, generateMasterKey() + "\n", { mode: 0o600 });
    opts.onGenerated?.(file);
  }
  chmodSync(file, 0o600);
  return parseMasterKeys(readFileSync(file, "utf8").trim());
}
