// A stop page: lock-screen controls (Media Session), skip buttons, and the play count.
// Everything it shows comes from the page (#stop-data and the buttons' own text).
const data = JSON.parse(document.getElementById('stop-data').textContent);
const audio = document.getElementById('stop-audio');

function skip(seconds) {
  const end = Number.isFinite(audio.duration) ? audio.duration : Infinity;
  audio.currentTime = Math.min(Math.max(audio.currentTime + seconds, 0), end);
}

function go(url) {
  // '#play': the next page starts playing if the browser allows it (pressed on a lock screen).
  if (url) location.assign(url + '#play');
}

function mediaSession() {
  const session = navigator.mediaSession;
  session.metadata = new MediaMetadata({
    title: data.title, artist: data.village, album: data.tour, artwork: data.artwork,
  });
  const handlers = {
    play: () => audio.play(),
    pause: () => audio.pause(),
    seekbackward: (details) => skip(-(details.seekOffset || 10)),
    seekforward: (details) => skip(details.seekOffset || 10),
    seekto: (details) => { audio.currentTime = details.seekTime; },
    previoustrack: data.previous ? () => go(data.previous) : null,
    nexttrack: data.next ? () => go(data.next) : null,
  };
  for (const [action, handler] of Object.entries(handlers)) {
    try {
      session.setActionHandler(action, handler);
    } catch (error) {
      // An action this browser does not know: the others still work.
    }
  }
  const position = () => {
    if (!Number.isFinite(audio.duration) || !session.setPositionState) return;
    session.setPositionState({duration: audio.duration, playbackRate: audio.playbackRate,
                              position: Math.min(audio.currentTime, audio.duration)});
  };
  audio.addEventListener('loadedmetadata', position);
  audio.addEventListener('seeked', position);
  audio.addEventListener('ratechange', position);
  audio.addEventListener('play', () => { session.playbackState = 'playing'; position(); });
  audio.addEventListener('pause', () => { session.playbackState = 'paused'; });
}

if (audio) {
  if ('mediaSession' in navigator && 'MediaMetadata' in window) mediaSession();
  const buttons = document.querySelector('.player__skip');
  if (buttons) {
    buttons.hidden = false;
    buttons.addEventListener('click', (event) => {
      const button = event.target.closest('[data-skip]');
      if (button) skip(Number(button.dataset.skip));
    });
  }
  // Counted once per visit to the page, when the recording starts (no cookie, nothing about who).
  audio.addEventListener('play', () => {
    if (data.played && navigator.sendBeacon) navigator.sendBeacon(data.played);
  }, {once: true});
  if (location.hash === '#play') {
    history.replaceState(null, '', location.pathname + location.search);
    audio.play().catch(() => {});  // refused without a gesture: the visitor presses play
  }
}
