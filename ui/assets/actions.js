() => {
  // Run once per page on load (gr.mount_gradio_app js=). Two jobs:
  // 1. the buttons under each answer act on THAT answer: 复制 copies its own text here in the browser; 有用, 有误 and
  //    重新生成 send "<action>:<turn>:<nonce>" (a card's 原文: "source:<turn>:<marker>:<nonce>") through the hidden #pq-action box and #pq-action-go button;
  // 2. a new question, and a finished answer or limit message, scroll the newest turn into view (Gradio's autoscroll
  //    is off: it showed the bottom of the chat box, not the start of the new answer, and never the page).
  if (window.__pqActions) { return; }
  window.__pqActions = true;

  const copyText = (text, button) => {
    const done = () => { const t = button.textContent; button.textContent = '已复制'; setTimeout(() => { button.textContent = t; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done, () => {}); return; }
    const area = document.createElement('textarea');
    area.value = text; area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select();
    try { document.execCommand('copy'); done(); } finally { area.remove(); }
  };

  const send = (value) => {
    const box = document.querySelector('#pq-action textarea, #pq-action input');
    const go = document.querySelector('#pq-action-go');
    if (!box || !go) { return; }
    box.value = value;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(() => go.click(), 50);
  };

  document.addEventListener('click', (event) => {
    const button = event.target.closest ? event.target.closest('#pq-chat .pq-act') : null;
    if (!button) { return; }
    event.preventDefault();
    // the action and the turn are classes (pq-act-wrong pq-turn-2): Gradio's sanitizer drops data- attributes
    const named = (prefix) => { const c = [...button.classList].find((x) => x.startsWith(prefix)); return c ? c.slice(prefix.length) : ''; };
    const act = named('pq-act-');
    if (act === 'copy') {
      const plain = button.closest('.pq-answer') ? button.closest('.pq-answer').querySelector('.pq-plain') : null;
      copyText(plain ? plain.textContent : '', button);
      return;
    }
    const cite = named('pq-cite-');
    send(cite ? `${act}:${named('pq-turn-')}:${cite}:${Date.now()}` : `${act}:${named('pq-turn-')}:${Date.now()}`);
  });

  let questions = 0;
  let finished = 0;
  const newest = () => {
    const chat = document.querySelector('#pq-chat');
    if (!chat) { return; }
    const asked = chat.querySelectorAll('.pq-question').length;
    const done = chat.querySelectorAll('.pq-foot, .pq-limit, .pq-error').length;
    if (asked !== questions || done !== finished) {
      const grew = asked > questions || done > finished;
      questions = asked; finished = done;
      const last = chat.querySelectorAll('.pq-question');
      if (grew && last.length) { last[last.length - 1].scrollIntoView({ block: 'start' }); }
    }
  };
  new MutationObserver(newest).observe(document.body, { childList: true, subtree: true });
}
