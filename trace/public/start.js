// The start page's camera button: shown only where the browser can read QR codes itself
// (BarcodeDetector); a code that is a link to this service opens it, nothing else is followed.
(() => {
  "use strict";
  const button = document.getElementById("scan");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  const video = document.getElementById("camera");
  const state = document.getElementById("scan-state");
  button.hidden = false;

  function ours(text) {
    try {
      const url = new URL(text);
      if (url.host.toLowerCase() === location.host.toLowerCase()) return url.pathname + url.search;
    } catch (_) {
      // Not a link: not ours.
    }
    return null;
  }

  button.addEventListener("click", async () => {
    let stream = null;
    try {
      const detector = new BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      state.textContent = button.dataset.looking;
      const look = async () => {
        const found = await detector.detect(video).catch(() => []);
        for (const code of found) {
          const target = ours(code.rawValue);
          if (target) {
            stream.getTracks().forEach((track) => track.stop());
            location.assign(target);
            return;
          }
          state.textContent = button.dataset.foreign;
        }
        setTimeout(look, 250);
      };
      look();
    } catch (_) {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      video.hidden = true;
      state.textContent = button.dataset.denied;
    }
  });
})();
