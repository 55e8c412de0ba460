// Berth's dashboard: polls /_berth/ui/api/state every second (answered 304
// while nothing changed, and with only what changed since the snapshot the
// page holds otherwise), renders each table with one innerHTML assignment,
// and escapes every string it shows (task names, tags, log lines are user
// data). No external resources, no build step.
'use strict';

(() => {
  const POLL_MS = 1000;
  const HIDDEN_POLL_MS = 5000;
  const CONFIRM_MS = 4000;
  // A full task list is drawn in steps: a screenful and more at once (the
  // first paint), then the rest a few hundred rows at a time.
  const FIRST_ROWS = 60;
  const ROWS_PER_STEP = 250;
  // More new or changed rows than this: the list is redrawn instead.
  const KEYED_LIMIT = 200;
  // `#full` in the address: always fetch whole snapshots, never deltas (to
  // compare the two).
  const DELTAS = !new URLSearchParams(location.hash.slice(1)).has('full');

  const $ = (id) => document.getElementById(id);
  const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  const esc = (v) => (v === undefined || v === null ? '' : String(v).replace(/[&<>"']/g, (c) => ESCAPES[c]));

  const state = {
    partition: { account: '', region: '' },
    etag: null,
    snapshot: null,
    generation: 0, // bumps when the partition changes: late answers are dropped
    timer: 0,
    partitionsKey: '',
    detail: null, // {id, cluster} of the open task panel
    detailBusy: false,
    confirming: new Map(), // task id -> time the stop confirmation expires
    painted: false,
    taskRows: new Map(), // task id -> {key, html} of its row as last rendered
    shownTasks: [], // ids of the rows in the DOM, in order
    sectionKeys: {}, // section -> JSON of what it shows now
    changedMembers: null, // members the last delta changed (null: a whole snapshot)
    rowsToken: 0, // bumps with every full redraw of the task list
    rowsCompletedOnce: false,
    firstSteps: 2, // the first render is complete when both steps are done
  };

  // Runs fn once the browser has painted what is in the DOM now.
  const afterNextPaint = (fn) => requestAnimationFrame(() => setTimeout(fn, 0));

  // The first render: all task rows and the sections below it are in the
  // DOM and painted (`berth-complete`, after `berth-painted`).
  function firstStepDone() {
    if (--state.firstSteps !== 0) return;
    afterNextPaint(() => {
      performance.mark('berth-complete');
      document.body.dataset.complete = '1';
    });
  }

  // --- Formatting --------------------------------------------------------------

  // Local times as HH:MM:SS (with the day when older than 20 hours), made by
  // hand: thousands of Intl calls would cost more than the rest of a render.
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n) => (n < 10 ? '0' : '') + n;
  const clock = (d) => two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  function millis(v) {
    if (v === undefined || v === null || v === '') return NaN;
    return typeof v === 'number' ? v * 1000 : Date.parse(v);
  }
  function fmtTime(v, ms) {
    const t = ms ? v : millis(v);
    if (!Number.isFinite(t)) return '';
    const d = new Date(t);
    return Date.now() - t < 20 * 3600 * 1000 ? clock(d) : MONTHS[d.getMonth()] + ' ' + d.getDate() + ' ' + clock(d);
  }
  function fmtBytes(n) {
    if (!Number.isFinite(n)) return '';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
  }
  const statusClass = (s) => 's-' + String(s || 'UNKNOWN').replace(/[^A-Z_]/g, '');
  const status = (s) => (s ? `<span class="status ${statusClass(s)}">${esc(s)}</span>` : '');
  const query = (p) => 'account=' + encodeURIComponent(p.account) + '&region=' + encodeURIComponent(p.region);

  // --- Live status -------------------------------------------------------------

  function setLive(kind, text) {
    const el = $('live');
    el.className = 'live ' + kind;
    if (el.textContent !== text) el.textContent = text;
  }

  // Runs draw(value) only when value differs from what `section` shows;
  // after a delta that changed none of the snapshot `members` it is drawn
  // from, without even comparing.
  function renderIfChanged(section, members, value, draw) {
    if (state.changedMembers && state.sectionKeys[section] !== undefined &&
        !members.some((m) => state.changedMembers.has(m))) return;
    const key = JSON.stringify(value);
    if (state.sectionKeys[section] === key) return;
    state.sectionKeys[section] = key;
    draw(value);
  }

  // --- Polling -----------------------------------------------------------------

  async function poll() {
    clearTimeout(state.timer);
    const generation = state.generation;
    try {
      const held = state.snapshot ? state.etag : null;
      const delta = held && DELTAS;
      const headers = held ? { 'If-None-Match': held } : {};
      const url = 'api/state?' + query(state.partition) + (delta ? '&delta=1' : '');
      const res = await fetch(url, { cache: 'no-store', headers });
      if (generation !== state.generation) return;
      if (res.status === 200) {
        const body = await res.json();
        if (generation !== state.generation) return;
        const snapshot = body.base === undefined ? body : applyDelta(body, held);
        if (!snapshot) {
          // A delta from a snapshot this page does not hold: start over.
          state.etag = null;
          state.snapshot = null;
          state.timer = setTimeout(poll, 0);
          return;
        }
        state.changedMembers = body.base === undefined ? null : new Set(Object.keys(body.members));
        state.etag = res.headers.get('ETag');
        state.snapshot = snapshot;
        if (!state.partition.account) state.partition = { account: snapshot.account, region: snapshot.region };
        render();
        setLive('on', 'live · updated ' + clock(new Date()));
      } else if (res.status !== 304) {
        throw new Error('HTTP ' + res.status);
      } else if (!$('live').classList.contains('on')) {
        setLive('on', 'live');
      }
      // An unchanged state (304) touches nothing in the DOM: no style, layout
      // or paint work at all while nothing happens.
    } catch (e) {
      setLive('error', 'Berth does not answer (' + e.message + '); retrying');
    }
    if (generation === state.generation) {
      state.timer = setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
    }
  }

  // The snapshot a delta ({base, members, rows, order?}) makes of the one
  // the page holds; null when it was made from another.
  function applyDelta(delta, held) {
    const old = state.snapshot;
    if (!old || delta.base !== held) return null;
    const s = Object.assign({}, old, delta.members);
    const byId = new Map();
    for (const t of old.tasks) byId.set(t.id, t);
    for (const t of delta.rows) byId.set(t.id, t);
    // Unchanged rows stay the same objects: renderTasks skips them.
    s.tasks = (delta.order || old.tasks.map((t) => t.id)).map((id) => byId.get(id));
    return s.tasks.every((t) => t !== undefined) ? s : null;
  }

  function choosePartition(account, region) {
    state.partition = { account, region };
    state.etag = null;
    state.snapshot = null;
    state.generation++;
    state.sectionKeys = {};
    history.replaceState(null, '', '#' + query(state.partition));
    closeDetail();
    poll();
  }

  // --- Rendering ---------------------------------------------------------------

  function render() {
    const s = state.snapshot;
    renderPartitions(s);
    renderCounters(s);
    renderIfChanged('errors', ['errors'], s.errors, () => renderErrors(s));
    renderTasks();
    const below = () => {
      if (s !== state.snapshot) return;  // a newer snapshot drew them already
      renderIfChanged('services', ['services', 'truncated', 'limits'], [s.services, s.truncated.services],
        () => renderServices(s));
      renderIfChanged('clusters', ['clusters'], s.clusters, () => renderClusters(s));
      renderIfChanged('repositories', ['repositories', 'truncated', 'limits'],
        [s.repositories, s.truncated.repositories], () => renderRepositories(s));
      if (state.firstSteps > 0) firstStepDone();
    };
    // The first time, what is below the task list waits for the first paint.
    if (state.painted) below(); else afterNextPaint(below);
    document.body.dataset.version = state.etag || '';
    if (state.detail) refreshDetail();
    if (!state.painted) {
      state.painted = true;
      performance.mark('berth-rendered');
      // The frame after the first render has been painted.
      requestAnimationFrame(() => requestAnimationFrame(() => {
        performance.mark('berth-painted');
        document.body.dataset.painted = '1';
      }));
    }
  }

  function renderPartitions(s) {
    const key = JSON.stringify(s.partitions) + '|' + s.account + '|' + s.region;
    if (key === state.partitionsKey) return;
    state.partitionsKey = key;
    $('partition').innerHTML = s.partitions.map((p) => {
      const selected = p.account === s.account && p.region === s.region ? ' selected' : '';
      return `<option value="${esc(p.account + '|' + p.region)}"${selected}>${esc(p.account)} / ${esc(p.region)}</option>`;
    }).join('');
  }

  function renderCounters(s) {
    let running = 0, pending = 0, stopped = 0, images = 0;
    for (const t of s.tasks) {
      if (t.lastStatus === 'RUNNING') running++;
      else if (t.lastStatus === 'STOPPED') stopped++;
      else pending++;
    }
    for (const r of s.repositories) images += r.images.length;
    const counter = (n, label) => `<div class="counter"><b>${n}</b><span>${label}</span></div>`;
    const html = counter(running, 'tasks running') + counter(pending, 'tasks on their way') +
      counter(stopped, 'tasks stopped') + counter(s.services.length, 'services') +
      counter(s.clusters.length, 'clusters') + counter(s.repositories.length, 'repositories') +
      counter(images, 'images');
    if (state.sectionKeys.counters !== html) {
      state.sectionKeys.counters = html;
      $('counters').innerHTML = html;
    }
  }

  function renderErrors(s) {
    const el = $('errors');
    el.hidden = !s.errors || s.errors.length === 0;
    el.innerHTML = el.hidden ? '' : s.errors.map((e) => `<div>${esc(e)}</div>`).join('');
  }

  function portLinks(ports) {
    return ports.map((p) => (p.url
      ? `<a class="port" href="${esc(p.url)}" target="_blank" rel="noopener noreferrer">${esc(p.hostPort)}</a>` +
        `<span class="sub">→${esc(p.containerPort)}</span>`
      : `<span>${esc(p.hostPort)}/${esc(p.protocol)}</span>`)).join('<br>');
  }

  function containerList(t) {
    return '<ul class="containers">' + t.containers.map((c) => {
      const exit = c.exitCode === undefined ? ''
        : ` <span class="${c.exitCode === 0 ? 'sub' : 'exit-bad'}">exit ${esc(c.exitCode)}</span>`;
      const health = c.health && c.health !== 'UNKNOWN' ? ' ' + status(c.health) : '';
      const reason = c.reason ? `<div class="sub">${esc(c.reason)}</div>` : '';
      return `<li>${esc(c.name)} ${status(c.lastStatus)}${exit}${health}${reason}</li>`;
    }).join('') + '</ul>';
  }

  function stopButton(t) {
    if (t.desiredStatus === 'STOPPED') {
      return t.lastStatus === 'STOPPED' ? '' : '<span class="sub">stopping…</span>';
    }
    const confirming = (state.confirming.get(t.id) || 0) > Date.now();
    return `<button type="button" class="stop${confirming ? ' confirm' : ''}" title="StopTask, as the API would">` +
      `${confirming ? 'Confirm stop' : 'Stop'}</button>`;
  }

  function taskRow(t) {
    const desired = t.desiredStatus && t.desiredStatus !== t.lastStatus
      ? `<div class="sub">desired ${esc(t.desiredStatus)}</div>` : '';
    const notes = t.notHonoured > 0
      ? ` <span class="badge" title="fields Berth could not honour; see Details">${t.notHonoured} not honoured</span>` : '';
    const times = [t.startedAt ? 'started ' + fmtTime(t.startedAt) : 'created ' + fmtTime(t.createdAt)];
    if (t.stoppedAt) times.push('stopped ' + fmtTime(t.stoppedAt));
    const reason = t.stoppedReason ? `${t.stopCode ? `<div class="sub">${esc(t.stopCode)}</div>` : ''}${esc(t.stoppedReason)}` : '';
    return `<div class="trow" role="row" data-task-id="${esc(t.id)}" data-cluster="${esc(t.cluster)}">` +
      `<div role="cell"><code title="${esc(t.id)}">${esc(t.id.slice(0, 12))}</code>${notes}` +
      `<div class="sub">${esc(t.family)}${t.revision ? ':' + esc(t.revision) : ''}</div>` +
      (t.group ? `<div class="sub">${esc(t.group)}</div>` : '') + '</div>' +
      `<div role="cell">${esc(t.cluster)}</div>` +
      `<div role="cell" class="task-status">${status(t.lastStatus)}${desired}</div>` +
      `<div role="cell">${t.health && t.health !== 'UNKNOWN' ? status(t.health) : ''}</div>` +
      `<div role="cell">${containerList(t)}</div>` +
      `<div role="cell">${portLinks(t.containers.flatMap((c) => c.ports))}</div>` +
      `<div role="cell" class="sub">${times.map(esc).join('<br>')}</div>` +
      `<div role="cell">${reason}</div>` +
      `<div role="cell" class="actions"><button type="button" class="details">Details</button>${stopButton(t)}</div></div>`;
  }

  function renderTasks() {
    const s = state.snapshot;
    if (!s) return;
    const filter = $('task-filter').value.trim().toLowerCase();
    const showStopped = $('show-stopped').checked;
    // Keyed rows: a task whose row data did not change keeps its element;
    // when the same tasks are shown in the same order, only the changed
    // rows are replaced.
    // Rows are {task, confirm, key, html}; the key (the task's JSON) and the
    // HTML are made only when needed: a first render compares nothing, and
    // draws a row only when it comes to it.
    const now = Date.now();
    const ids = [], rows = [], changed = [];
    const previous = state.taskRows;
    const current = new Map();
    // Berth versions each row ("v"); the JSON text is the fallback.
    const keyOf = (row) => (row.key === null ? (row.key = row.task.v || JSON.stringify(row.task)) : row.key);
    for (const t of s.tasks) {
      if (!showStopped && t.lastStatus === 'STOPPED') continue;
      if (filter && !(t.id + ' ' + t.family + ' ' + t.cluster + ' ' + t.lastStatus + ' ' + (t.group || ''))
        .toLowerCase().includes(filter)) continue;
      const confirm = (state.confirming.get(t.id) || 0) > now;
      let row = previous.get(t.id);
      if (row && row.task !== t) {
        const fresh = { task: t, confirm, key: null, html: null };
        if (row.confirm !== confirm || keyOf(row) !== keyOf(fresh)) {
          row = fresh;
          changed.push(ids.length);
        }
      } else if (row && row.confirm !== confirm) {
        row = { task: t, confirm, key: row.key, html: null };
        changed.push(ids.length);
      } else if (!row) {
        row = { task: t, confirm, key: null, html: null };
        changed.push(ids.length);
      }
      current.set(t.id, row);
      ids.push(t.id);
      rows.push(row);
    }
    state.taskRows = current;
    const htmlOf = (from, to) => {
      let out = '';
      for (let i = from; i < to; i++) {
        const row = rows[i];
        if (row.html === null) row.html = taskRow(row.task);
        out += row.html;
      }
      return out;
    };
    const container = $('task-rows');
    // Keyed update while the list is whole and few rows are new or changed:
    // rows keep their elements, new ones are inserted where they belong,
    // gone ones removed. Otherwise (first render, a new filter...) the list
    // is redrawn, a screenful first.
    const whole = state.shownTasks.length > 0 && container.children.length === state.shownTasks.length;
    if (whole && ids.length > 0 && changed.length <= KEYED_LIMIT) {
      state.rowsToken++;
      const elements = new Map();
      for (const el of container.children) elements.set(el.dataset.taskId, el);
      const fresh = new Set(changed);
      let ref = container.firstElementChild;
      for (let i = 0; i < ids.length; i++) {
        let el = elements.get(ids[i]);
        elements.delete(ids[i]);
        if (!el || fresh.has(i)) {
          const template = document.createElement('template');
          template.innerHTML = htmlOf(i, i + 1);
          const made = template.content.firstElementChild;
          if (el) {
            if (el === ref) ref = ref.nextElementSibling;
            el.remove();
          }
          el = made;
        }
        if (el === ref) ref = ref.nextElementSibling;
        else container.insertBefore(el, ref);
      }
      for (const el of elements.values()) el.remove();
    } else {
      const token = ++state.rowsToken;
      let next = Math.min(FIRST_ROWS, rows.length);
      container.innerHTML = rows.length ? htmlOf(0, next) : '<div class="empty">No tasks</div>';
      const step = () => {
        if (token !== state.rowsToken) return;  // a newer full redraw took over
        if (next >= rows.length) {
          if (!state.rowsCompletedOnce) {
            state.rowsCompletedOnce = true;
            firstStepDone();
          }
          return;
        }
        const end = Math.min(rows.length, next + ROWS_PER_STEP);
        container.insertAdjacentHTML('beforeend', htmlOf(next, end));
        next = end;
        setTimeout(step, 0);
      };
      if (next >= rows.length) step(); else afterNextPaint(step);
    }
    state.shownTasks = ids;
    const cut = [];
    if (s.truncated.unfinishedTasks) cut.push(`the newest ${s.limits.unfinishedTasks} tasks not yet stopped`);
    if (s.truncated.stoppedTasks) cut.push(`the ${s.limits.stoppedTasks} most recently stopped`);
    const note = `${ids.length} of ${s.tasks.length} shown` + (cut.length ? ` (only ${cut.join(' and ')})` : '');
    if ($('task-note').textContent !== note) $('task-note').textContent = note;
  }

  function renderServices(s) {
    const rows = s.services.map((v) => {
      const deployments = v.deployments.map((d) =>
        `<div>${status(d.status)} ${esc(d.rolloutState || '')} <span class="sub">${esc(String(d.taskDefinition || '').split('/').pop())}` +
        ` · ${esc(d.runningCount)}/${esc(d.desiredCount)} running${d.failedTasks ? `, ${esc(d.failedTasks)} failed` : ''}</span></div>`).join('');
      const events = '<ul class="events">' + v.events.map((e) =>
        `<li><span class="sub">${esc(fmtTime(e.createdAt))}</span> ${esc(e.message)}</li>`).join('') + '</ul>';
      return `<tr data-service="${esc(v.serviceName)}"><td>${esc(v.serviceName)}</td><td>${esc(v.cluster)}</td>` +
        `<td>${status(v.status)}</td><td>${esc(v.desiredCount)} / ${esc(v.runningCount)} / ${esc(v.pendingCount)}</td>` +
        `<td>${esc(String(v.taskDefinition || '').split('/').pop())}</td><td>${deployments}</td><td>${events}</td></tr>`;
    });
    $('service-rows').innerHTML = rows.length ? rows.join('') : '<tr><td class="empty" colspan="7">No services</td></tr>';
    $('service-note').textContent = s.truncated.services ? `only the first ${s.limits.services}` : '';
  }

  function renderClusters(s) {
    const rows = s.clusters.map((c) =>
      `<tr><td>${esc(c.name)}</td><td>${status(c.status)}</td><td>${esc(c.runningTasks)}</td>` +
      `<td>${esc(c.pendingTasks)}</td><td>${esc(c.activeServices)}</td></tr>`);
    $('cluster-rows').innerHTML = rows.length ? rows.join('') : '<tr><td class="empty" colspan="5">No clusters</td></tr>';
  }

  function renderRepositories(s) {
    const rows = [];
    for (const r of s.repositories) {
      rows.push(`<tr class="repo" data-repository="${esc(r.name)}"><td colspan="5"><b>${esc(r.name)}</b> ` +
        `<span class="sub mono">${esc(r.uri)}</span> <span class="sub">· ${r.images.length} image${r.images.length === 1 ? '' : 's'}` +
        `${r.imagesTruncated ? ' shown (limit reached)' : ''} · ${esc(r.tagMutability)}</span></td></tr>`);
      for (const i of r.images) {
        rows.push(`<tr><td>${i.tags.length ? i.tags.map((t) => `<code>${esc(t)}</code>`).join(' ') : '<span class="sub">untagged</span>'}</td>` +
          `<td><code title="${esc(i.digest)}">${esc(i.digest.slice(0, 19))}…</code></td><td>${esc(fmtBytes(i.size))}</td>` +
          `<td>${esc(fmtTime(i.pushedAt))}</td><td>${esc(fmtTime(i.lastPulledAt))}</td></tr>`);
      }
    }
    $('repository-rows').innerHTML = rows.length ? rows.join('') : '<tr><td class="empty" colspan="5">No repositories</td></tr>';
    $('repository-note').textContent = s.truncated.repositories ? `only the first ${s.limits.repositories}` : '';
  }

  // --- Stop action -------------------------------------------------------------

  async function stopTask(row, button) {
    const id = row.dataset.taskId;
    if ((state.confirming.get(id) || 0) <= Date.now()) {
      state.confirming.set(id, Date.now() + CONFIRM_MS);
      button.classList.add('confirm');
      button.textContent = 'Confirm stop';
      setTimeout(() => { if (state.confirming.has(id)) { state.confirming.delete(id); renderTasks(); } }, CONFIRM_MS + 10);
      return;
    }
    state.confirming.delete(id);
    button.disabled = true;
    button.textContent = 'Stopping…';
    try {
      const res = await fetch('api/stop-task', {
        method: 'POST',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', 'X-Berth-Action': 'stop-task' },
        body: JSON.stringify({ account: state.partition.account, region: state.partition.region, cluster: row.dataset.cluster, task: id }),
      });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        alertRow(row, 'Stop failed: ' + (body.message || 'HTTP ' + res.status));
      }
    } catch (e) {
      alertRow(row, 'Stop failed: ' + e.message);
    }
    poll();
  }

  function alertRow(row, text) {
    const cell = row.querySelector('.task-status');
    if (cell) cell.insertAdjacentHTML('beforeend', `<div class="exit-bad">${esc(text)}</div>`);
  }

  // --- Task details panel ------------------------------------------------------

  function openDetail(row) {
    state.detail = { id: row.dataset.taskId, cluster: row.dataset.cluster };
    $('detail').hidden = false;
    $('detail-title').textContent = 'Task ' + state.detail.id;
    $('detail-body').innerHTML = '<p class="sub">Loading…</p>';
    refreshDetail();
  }

  function closeDetail() {
    state.detail = null;
    $('detail').hidden = true;
  }

  async function refreshDetail() {
    if (state.detailBusy || !state.detail) return;
    state.detailBusy = true;
    const { id, cluster } = state.detail;
    try {
      const [local, logs] = await Promise.all([
        fetch('/_berth/tasks/' + encodeURIComponent(id), { cache: 'no-store' }).then((r) => (r.ok ? r.json() : null)),
        fetch('api/logs?' + query(state.partition) + '&cluster=' + encodeURIComponent(cluster) + '&task=' + encodeURIComponent(id),
          { cache: 'no-store' }).then((r) => (r.ok ? r.json() : null)),
      ]);
      if (state.detail && state.detail.id === id) renderDetail(id, local, logs);
    } catch (e) {
      $('detail-body').innerHTML = `<p class="exit-bad">${esc(e.message)}</p>`;
    } finally {
      state.detailBusy = false;
    }
  }

  function renderDetail(id, local, logs) {
    const t = (state.snapshot && state.snapshot.tasks.find((x) => x.id === id)) || null;
    const parts = [];
    if (t) {
      const field = (k, v) => (v === undefined || v === '' ? '' : `<dt>${esc(k)}</dt><dd>${v}</dd>`);
      parts.push('<h3>Task</h3><dl>' + field('Cluster', esc(t.cluster)) +
        field('Task definition', esc(t.family + (t.revision ? ':' + t.revision : ''))) +
        field('Status', status(t.lastStatus) + (t.desiredStatus !== t.lastStatus ? ' → ' + esc(t.desiredStatus) : '')) +
        field('Health', t.health ? status(t.health) : '') + field('Launch type', esc(t.launchType)) +
        field('Group', esc(t.group)) + field('Started by', esc(t.startedBy)) +
        field('Created', esc(fmtTime(t.createdAt))) + field('Started', esc(fmtTime(t.startedAt))) +
        field('Stopped', esc(fmtTime(t.stoppedAt))) + field('Stop code', esc(t.stopCode)) +
        field('Stopped reason', esc(t.stoppedReason)) + '</dl>');
      parts.push('<h3>Containers</h3>' + containerList(t) + portLinks(t.containers.flatMap((c) => c.ports)));
    }
    const notes = local && Array.isArray(local.notHonoured) ? local.notHonoured : [];
    parts.push('<h3>Not honoured by Berth</h3>' + (notes.length
      ? '<ul>' + notes.map((n) => `<li>${esc(typeof n === 'string' ? n : JSON.stringify(n))}</li>`).join('') + '</ul>'
      : '<p class="sub">Nothing: every field of this task is honoured locally.</p>'));
    for (const c of (logs && logs.containers) || []) {
      const lines = c.lines.map((l) => `${fmtTime(l.timestamp, true)}  ${l.message}`).join('\n');
      parts.push(`<h3>Logs: ${esc(c.name)} <span class="sub">${esc(c.group)} / ${esc(c.stream)}</span></h3>` +
        `<pre class="logs">${lines ? esc(lines) : `<span class="sub">${esc(c.error || 'no lines yet')}</span>`}</pre>`);
    }
    if (local && local.local) parts.push('<h3>Local details</h3><pre>' + esc(JSON.stringify(local.local, null, 2)) + '</pre>');
    $('detail-body').innerHTML = parts.join('');
  }

  // --- Wiring ------------------------------------------------------------------

  function start() {
    const hash = new URLSearchParams(location.hash.slice(1));
    state.partition = { account: hash.get('account') || '', region: hash.get('region') || '' };
    $('task-rows').addEventListener('click', (event) => {
      const row = event.target.closest('[data-task-id]');
      if (!row) return;
      const stop = event.target.closest('button.stop');
      if (stop) stopTask(row, stop);
      else if (event.target.closest('button.details')) openDetail(row);
    });
    $('detail-close').addEventListener('click', closeDetail);
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDetail(); });
    $('partition').addEventListener('change', (e) => {
      const [account, region] = e.target.value.split('|');
      choosePartition(account, region);
    });
    let filterTimer = 0;
    $('task-filter').addEventListener('input', () => { clearTimeout(filterTimer); filterTimer = setTimeout(renderTasks, 120); });
    $('show-stopped').addEventListener('change', renderTasks);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) poll(); });
    poll();
  }

  start();
})();
