import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { LIMITS } from "../../shared/model.js";
import { fieldError } from "./errors.js";

export function assertPasswordRules(password: string, field = "password"): void {
  if (password.length < LIMITS.passwordMin || password.length > LIMITS.passwordMax) {
    throw fieldError(
      400,
      field,
      "password_length",
      `A password needs ${LIMITS.passwordMin} to ${LIMITS.passwordMax} characters.`,
      { min: LIMITS.passwordMin, max: LIMITS.passwordMax },
    );
  }
}

/** argon2id, the library's default: 19 MiB, 2 passes, 1 lane (the OWASP-recommended minimum). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A password people can read out: 4 groups of 4 from an unambiguous alphabet (~80 bits). */
export function generatePassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = randomBytes(16);
  let out = "";
  for (let i = 0; i < 16; i++) {
    if (i > 0 && i % 4 === 0) out += "-";
    out += alphabet[bytes[i]! % alphabet.length];
  }
  return out;
}
