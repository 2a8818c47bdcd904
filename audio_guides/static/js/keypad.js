// The keypad answers on the phone (offline too): the page lists every number of the tour.
const config = JSON.parse(document.getElementById('keypad-config').textContent);
const form = document.querySelector('.keypad__form');
const input = document.getElementById('number');
const error = document.getElementById('number-error');

function refuse(message) {
  error.textContent = message;
  error.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', 'number-error');
  input.focus();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const entry = input.value.trim();
  if (!/^[0-9]{1,6}$/.test(entry)) {
    refuse(config.messages.invalid);
    return;
  }
  const url = config.stops[String(Number(entry))];
  if (url) {
    location.assign(url);
  } else {
    refuse(config.messages.unknown.replace('${number}', entry));
  }
});
