import { useEffect, useRef } from "preact/hooks";
import { t } from "./i18n.js";
import { point, requestShare, type ShareView, shares, stopViewing, upgradeEnabled } from "./share.js";

/** A session's screen sharing: ask for it, see the customer's screen, point at it, stop viewing. */
export function ScreenShare({ sessionId, ended }: { sessionId: string; ended: boolean }) {
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
  const status = statusText(view);

  const onClick = (e: MouseEvent) => {
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
  return (
    <section class="screen-share" aria-label={t("shareHeading")}>
      <div class="screen-share-bar">
        {!ended && !sharing && (
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
            {t("shareStopViewing")}
          </button>
        )}
        {!upgradeEnabled.value && !ended && (
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
          class="share-video"
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

function statusText(view: ShareView | null): string {
  if (!view) return "";
  switch (view.state) {
    case "requested":
      return t("shareRequested");
    case "declined":
      return t("shareDeclined");
    case "sharing":
      return view.stream ? t("shareSharing") : t("shareConnecting");
    case "stopped":
      return view.byMe ? t("shareStoppedByYou") : t("shareStopped");
    case "failed":
      return t("shareFailed", { reason: view.reason ?? "" });
  }
}
