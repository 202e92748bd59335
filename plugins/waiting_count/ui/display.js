// The hall display (/display/{office}): a public page on the hall's screen, following the office's
// live channel. Its answers are public (anonymous), so the sandboxed page may read them.
const base = location.pathname.replace(/\/display\/[^/]*$/, '');
const office = decodeURIComponent(location.pathname.split('/').pop());
const rows = new Map();
function row(c) {
  let tr = rows.get(c.counter);
  if (!tr) {
    tr = document.createElement('tr');
    for (let i = 0; i < 4; i++) tr.appendChild(document.createElement('td'));
    tr.children[1].className = tr.children[2].className = tr.children[3].className = 'n';
    document.getElementById('rows').appendChild(tr);
    rows.set(c.counter, tr);
  }
  tr.className = c.closed ? 'closed' : '';
  tr.children[0].textContent = c.name;
  tr.children[1].textContent = c.now_serving.length ? c.now_serving.join(', ') : '—';
  tr.children[2].textContent = c.closed ? '受付終了' : c.waiting + ' 人';
  tr.children[3].textContent = c.closed ? '' : '約 ' + c.estimated_wait_minutes + ' 分';
}
fetch(base + '/offices/' + encodeURIComponent(office)).then(r => r.json()).then(o => {
  document.getElementById('title').textContent = o.name + ' 窓口待ち人数';
  o.counters.forEach(row);
  const live = new EventSource(base + '/live/office.' + office);
  live.addEventListener('live', e => row(JSON.parse(JSON.parse(e.data).message)));
  live.onopen = () => document.getElementById('state').textContent = '';
  live.onerror = () => document.getElementById('state').textContent = '再接続中…';
});
