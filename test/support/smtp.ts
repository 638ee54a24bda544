import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 for tests that send email:
 * no TLS, authentication optional, every message parsed with mailparser's simpleParser.
 * `port` lets a test start it late on a port it chose (and pointed SMTP_URL at) before.
 */
export interface TestSmtp {
  port: number;
  /** smtp://127.0.0.1:<port>, the value for SMTP_URL. */
  url: string;
  /** Every message received so far, in order of arrival. */
  messages: ParsedMail[];
  /** The first message (already received or still to come) matching the predicate. */
  waitFor(predicate: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  close(): Promise<void>;
}

export async function startSmtp(options: { port?: number } = {}): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    logger: false,
    // Accept any credentials a client sends (SMTP_URL may carry user:pass).
    onAuth(_auth, _session, callback) {
      callback(null, { user: "test" });
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          notify();
          callback();
        })
        .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    },
  });
  server.on("error", () => {
    // a client dropping its connection mid-message is no failure of the test server
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.server.once("error", onError);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.server.off("error", onError);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  const waitFor = (predicate: (m: ParsedMail) => boolean, timeoutMs = 10_000): Promise<ParsedMail> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = messages.find(predicate);
        if (!found) return false;
        waiters.delete(onMessage);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const onMessage = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        waiters.delete(onMessage);
        const seen = messages.map((m) => `${m.subject ?? "(no subject)"} → ${toAddresses(m).join(", ")}`);
        reject(new Error(`no matching email within ${timeoutMs} ms; received: ${JSON.stringify(seen)}`));
      }, timeoutMs);
      waiters.add(onMessage);
      check();
    });

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The addresses a parsed message was sent to (its To header), lower-cased. */
export function toAddresses(m: ParsedMail): string[] {
  const to = m.to === undefined ? [] : Array.isArray(m.to) ? m.to : [m.to];
  return to.flatMap((a) => a.value.map((v) => (v.address ?? "").toLowerCase()));
}

/** The first link in a message's text (or HTML) that starts with `prefix`. */
export function linkIn(m: ParsedMail, prefix: string): string | null {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`${escaped}[^\\s"'<>)\\]]*`);
  const fromText = (m.text ?? "").match(re);
  if (fromText) return fromText[0];
  const fromHtml = (typeof m.html === "string" ? m.html : "").replace(/&amp;/g, "&").match(re);
  return fromHtml ? fromHtml[0] : null;
}
