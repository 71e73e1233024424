(text) => {
  if (!text) { return; }
  const done = () => {
    const b = document.querySelector('#pq-copy');
    if (b) { const t = b.textContent; b.textContent = '已复制'; setTimeout(() => { b.textContent = t; }, 1500); }
  };
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); return; }
  const area = document.createElement('textarea');
  area.value = text; area.style.position = 'fixed'; area.style.opacity = '0';
  document.body.appendChild(area); area.select();
  try { document.execCommand('copy'); done(); } finally { area.remove(); }
}
