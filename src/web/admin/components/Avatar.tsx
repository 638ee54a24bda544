/** A user's avatar picture, or their initials on a colour derived from the name. */
export function Avatar({
  name,
  url,
  size = "normal",
}: {
  name: string;
  url: string | null;
  size?: "normal" | "small";
}) {
  const initials =
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w.charAt(0).toUpperCase())
      .join("") || "?";
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) % 6;
  if (url) return <img class={`avatar ${size}`} src={url} alt="" />;
  return (
    <span class={`avatar ${size} tone-${hash}`} aria-hidden="true">
      {initials}
    </span>
  );
}
