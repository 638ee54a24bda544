import { useEffect, useRef } from "preact/hooks";
import type { SessionRole } from "../../shared/protocol.js";
import { t } from "./i18n.js";
import {
  point,
  requestShare,
  type ShareView,
  shares,
  stopViewing,
  upgradeEnabled,
  watchShare,
} from "./share.js";

/**
 * A session's screen sharing: the owner asks for it, sees the customer's screen, points at it and
 * stops it; a colleague in the session or a supervisor watching sees the same screen (their own
 * connection), and may stop or start watching it, but neither asks for it nor points.
 */
export function ScreenShare({
  sessionId,
  ended,
  role,
}: {
  sessionId: string;
  ended: boolean;
  role: SessionRole;
}) {
  const view = shares.value[sessionId] ?? null;
  const videoRef = useRef<HTMLVideoElement>(null);
  const stream = view?.stream ?? null;

  useEffect(() => {
    const video = videoRef.current;
    if (video && video.srcObject !== stream) {
      video.srcObject = stream;
      if (stream) void video.play().catch(() => {});
    }
  }, [stream]);

  const sharing = view?.state === "sharing";
  const owner = role === "owner";
  const status = statusText(view, owner);

  const onClick = (e: MouseEvent) => {
    if (!owner) return;
    const video = e.currentTarget as HTMLVideoElement;
    const box = video.getBoundingClientRect();
    // The picture is letterboxed (object-fit: contain): measure within the picture itself.
    const vw = video.videoWidth || box.width;
    const vh = video.videoHeight || box.height;
    const scale = Math.min(box.width / vw, box.height / vh);
    const w = vw * scale;
    const h = vh * scale;
    const left = box.left + (box.width - w) / 2;
    const top = box.top + (box.height - h) / 2;
    const x = (e.clientX - left) / w;
    const y = (e.clientY - top) / h;
    if (x < 0 || x > 1 || y < 0 || y > 1) return;
    point(sessionId, x, y);
  };

  if (ended && !view) return null;
  // A viewer has nothing to do here until the customer shares.
  if (!owner && !view) return null;
  return (
    <section class="screen-share" aria-label={t("shareHeading")}>
      <div class="screen-share-bar">
        {!ended && !sharing && owner && (
          <button
            type="button"
            class="btn"
            disabled={!upgradeEnabled.value}
            aria-describedby={upgradeEnabled.value ? undefined : `share-off-${sessionId}`}
            onClick={() => requestShare(sessionId)}
          >
            {t("shareRequest")}
          </button>
        )}
        {sharing && !ended && (
          <button type="button" class="btn" onClick={() => stopViewing(sessionId)}>
            {owner ? t("shareStopViewing") : t("shareStopWatching")}
          </button>
        )}
        {!owner && !ended && view?.state === "stopped" && view.byMe && (
          <button type="button" class="btn" onClick={() => watchShare(sessionId)}>
            {t("shareWatchAgain")}
          </button>
        )}
        {owner && !upgradeEnabled.value && !ended && (
          <span id={`share-off-${sessionId}`} class="hint">
            {t("shareDisabled")}
          </span>
        )}
        <span class="share-status" role="status">
          {status}
        </span>
      </div>
      {sharing && (
        <video
          ref={videoRef}
          class={owner ? "share-video" : "share-video share-video-viewer"}
          aria-label={t("shareVideo")}
          autoplay
          muted
          playsInline
          onClick={onClick}
        />
      )}
    </section>
  );
}

function statusText(view: ShareView | null, owner: boolean): string {
  if (!view) return "";
  switch (view.state) {
    case "requested":
      return owner ? t("shareRequested") : t("shareRequestedByOwner");
    case "declined":
      return t("shareDeclined");
    case "sharing":
      if (!view.stream) return t("shareConnecting");
      return owner ? t("shareSharing") : t("shareSharingViewer");
    case "stopped":
      if (!view.byMe && view.reason === "transfer") return t("shareStoppedTransfer");
      return view.byMe ? t("shareStoppedByYou") : t("shareStopped");
    case "failed":
      return t("shareFailed", { reason: view.reason ?? "" });
  }
}
