import nodemailer, { type Transporter } from "nodemailer";
import type { RenderedEmail } from "../domain/email.js";

export interface MailResult {
  ok: boolean;
  /** The SMTP reply code of the answer (or of the refusal), when there was one. */
  status: number | null;
  error: string | null;
}

/**
 * Sends the outbox's emails through SMTP_URL (a pooled nodemailer transport). The delivery id is
 * the Message-ID, so a retried email is recognisably the same message.
 */
export class Mailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    timeoutMs: number,
  ) {
    this.transport = nodemailer.createTransport({
      url: smtpUrl,
      pool: true,
      maxConnections: 4,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs * 4,
    });
  }

  async send(id: string, email: RenderedEmail): Promise<MailResult> {
    try {
      const info = await this.transport.sendMail({
        from: this.from,
        to: email.to,
        ...(email.replyTo ? { replyTo: email.replyTo } : {}),
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: `<${id}@helpgate>`,
        headers: { "Content-Language": email.language, "Auto-Submitted": "auto-generated" },
      });
      const code = /^(\d{3})/.exec(String(info.response ?? ""));
      return { ok: true, status: code ? Number(code[1]) : 250, error: null };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      return {
        ok: false,
        status: typeof e.responseCode === "number" ? e.responseCode : null,
        error: `${e.code ? `${e.code}: ` : ""}${e.message}`.slice(0, 500),
      };
    }
  }

  close(): void {
    this.transport.close();
  }
}
