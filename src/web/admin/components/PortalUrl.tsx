/** A portal's address that wraps, if it must, only after "/p/" — never inside the host or slug. */
export function PortalUrl({ url }: { url: string }) {
  const at = url.lastIndexOf("/p/");
  if (at < 0) return <code class="url">{url}</code>;
  return (
    <code class="url">
      <span class="nowrap">{url.slice(0, at + 3)}</span>
      <wbr />
      <span class="nowrap">{url.slice(at + 3)}</span>
    </code>
  );
}
