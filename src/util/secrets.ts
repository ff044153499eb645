/**
 * Secrets this process was configured with (judge API keys read from the environment), so that any
 * text leaving the process (log lines, CLI output, error messages) can be cut free of them, whatever
 * path carried the secret there. Registering is idempotent; values shorter than 4 characters are not
 * registered (they would redact ordinary words).
 */
const secrets = new Set<string>();

export const REDACTED = '[redacted]';

export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < 4) return;
  secrets.add(value);
  // The same value as it appears inside a JSON string (a log line), when escaping changes it.
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) secrets.add(escaped);
}

/** `text` with every registered secret replaced by `[redacted]`. */
export function redactSecrets(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** A redactor for a fixed set of secrets (a judge's own key), independent of the registry. */
export function redactorFor(values: readonly (string | undefined)[]): (text: string) => string {
  const list = values.filter((v): v is string => v !== undefined && v.length >= 4);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}
