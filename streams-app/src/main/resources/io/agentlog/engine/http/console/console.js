// agentlog's web console: plain JavaScript over the engine's HTTP API (docs/api.md), no build step.
'use strict';

const STATUSES = ['AWAITING_MODEL', 'AWAITING_TOOLS', 'AWAITING_APPROVAL', 'AWAITING_ANSWER', 'COMPLETED', 'FAILED',
  'CANCELLED', 'BUDGET_EXCEEDED'];
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'BUDGET_EXCEEDED']);
const view = document.getElementById('view');
let cleanup = () => {};

// ---- API calls -------------------------------------------------------------------------------------------------

function token() {
  return localStorage.getItem('agentlogToken') || '';
}

async function api(method, path, body) {
  const headers = {};
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = {error: text}; }
  if (response.status === 401) {
    document.getElementById('token-form').hidden = false;
  }
  if (!response.ok) {
    throw new Error((json && json.error) || ('HTTP ' + response.status));
  }
  return json;
}

function showError(error) {
  const box = document.getElementById('error');
  box.textContent = error ? String(error.message || error) : '';
  box.hidden = !error;
}

// ---- small DOM helpers -----------------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function pretty(value) {
  if (typeof value === 'string') {
    try { return JSON.stringify(JSON.parse(value), null, 2); } catch (e) { return value; }
  }
  return JSON.stringify(value, null, 2);
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '';
}

function cost(micros) {
  return micros ? '$' + (micros / 1e6).toFixed(4) : '$0';
}

function decodeBase64(text) {
  try {
    const bytes = Uint8Array.from(atob(text), c => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch (e) {
    return '(binary)';
  }
}

// ---- sessions list ---------------------------------------------------------------------------------------------

async function sessionsView(params) {
  const status = params.get('status') || '';
  const agent = params.get('agent') || '';
  const agents = (await api('GET', '/agents')).agents;
  const statusSelect = el('select', {id: 'filter-status'},
    el('option', {value: ''}, 'any status'), STATUSES.map(s => el('option', {value: s, selected: s === status}, s)));
  const agentFilter = el('input', {id: 'filter-agent', placeholder: 'agent', value: agent});
  const applyFilter = () => {
    const query = new URLSearchParams();
    if (statusSelect.value) query.set('status', statusSelect.value);
    if (agentFilter.value.trim()) query.set('agent', agentFilter.value.trim());
    location.hash = '#/sessions' + (query.toString() ? '?' + query : '');
  };
  statusSelect.addEventListener('change', applyFilter);
  agentFilter.addEventListener('change', applyFilter);

  const agentSelect = el('select', {id: 'new-agent'}, agents.map(a => el('option', {value: a.name}, a.name + '@' + a.version)));
  const input = el('textarea', {id: 'new-input', placeholder: 'What should the agent do?'});
  const submit = el('button', {id: 'submit', type: 'submit'}, 'Submit');
  const form = el('form', {class: 'panel', id: 'new-session'},
    el('h1', {}, 'New session'),
    el('div', {class: 'row'}, el('label', {}, 'Agent ', agentSelect)),
    el('p', {}, input),
    submit);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      const answer = await api('POST', '/sessions', {agent: agentSelect.value, input: input.value});
      location.hash = '#/sessions/' + encodeURIComponent(answer.sessionId);
    } catch (e) { showError(e); }
  });

  const body = el('tbody', {id: 'sessions'});
  const table = el('table', {}, el('thead', {}, el('tr', {}, ['Session', 'Status', 'Agent', 'Steps', 'Cost', 'Started']
    .map(h => el('th', {}, h)))), body);
  view.replaceChildren(form,
    el('div', {class: 'panel'}, el('div', {class: 'row'}, el('h1', {}, 'Sessions'), statusSelect, agentFilter), table));

  async function refresh() {
    const query = new URLSearchParams({limit: '200'});
    if (status) query.set('status', status);
    if (agent) query.set('agent', agent);
    const page = await api('GET', '/sessions?' + query);
    body.replaceChildren(...page.sessions
      .sort((a, b) => (b.startedAt || '').localeCompare(a.startedAt || ''))
      .map(s => el('tr', {class: 'session', dataset: {id: s.sessionId},
          onclick: () => { location.hash = '#/sessions/' + encodeURIComponent(s.sessionId); }},
        el('td', {}, el('code', {}, s.sessionId)),
        el('td', {}, el('span', {class: 'status ' + s.status}, s.status)),
        el('td', {}, s.agent + '@' + s.agentVersion),
        el('td', {}, s.steps),
        el('td', {}, cost(s.usage && s.usage.costMicros)),
        el('td', {}, time(s.startedAt)))));
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(showError), 3000);
  return () => clearInterval(timer);
}

// ---- one session, live -----------------------------------------------------------------------------------------

async function sessionView(sessionId) {
  const facts = el('div', {class: 'facts', id: 'facts'});
  const controls = el('div', {class: 'row', id: 'controls'});
  const timeline = el('div', {id: 'timeline'});
  const files = el('ul', {class: 'files', id: 'files'});
  const result = el('div', {id: 'result'});
  view.replaceChildren(
    el('div', {class: 'panel'}, el('h1', {}, 'Session ', el('code', {id: 'session-id'}, sessionId)), facts, result, controls),
    el('h2', {}, 'Timeline'), timeline,
    el('h2', {}, 'Workspace files'), el('div', {class: 'panel'}, files));

  const workspace = new Map();
  const decided = new Set();
  const streaming = new Map(); // workId -> {attempt, node}: a model answer while it is written
  const answered = new Set();

  function onToken(chunk) {
    if (answered.has(chunk.workId)) return;
    let live = streaming.get(chunk.workId);
    if (!live || live.attempt !== chunk.attempt) {
      // a new call, or a new attempt of it (a retry): its answer starts over
      if (live) live.node.remove();
      const text = el('pre', {class: 'text'});
      const node = el('div', {class: 'event streaming', dataset: {type: 'streaming', work: chunk.workId}},
        el('div', {class: 'head'}, el('b', {}, 'writing'), el('span', {}, chunk.workId)), text);
      timeline.append(node);
      live = {attempt: chunk.attempt, node, text, next: 0};
      streaming.set(chunk.workId, live);
    }
    // a reconnected stream sends the answer's pieces so far again: show each once
    if (chunk.index < live.next) return;
    live.next = chunk.index + 1;
    live.text.textContent += chunk.text;
  }

  async function refreshState() {
    const state = await api('GET', '/sessions/' + encodeURIComponent(sessionId));
    const usage = state.usage || {};
    facts.replaceChildren(
      fact('Status', el('span', {class: 'status ' + state.status, id: 'status'}, state.status)),
      fact('Agent', state.agent + '@' + state.agentVersion),
      fact('Steps', state.steps), fact('Tool calls', state.toolCalls),
      fact('Tokens in / out', (usage.inputTokens || 0) + ' / ' + (usage.outputTokens || 0)),
      fact('Cost', cost(usage.costMicros)),
      fact('Started', time(state.startedAt)), fact('Ended', time(state.endedAt)));
    renderControls(ENDED.has(state.status));
    return state;
  }

  function fact(label, value) {
    return el('div', {}, el('span', {}, label), value);
  }

  function renderControls(ended) {
    if (ended) { controls.replaceChildren(); return; }
    const steer = el('input', {id: 'steer-text', placeholder: 'a message for the next turn'});
    controls.replaceChildren(
      steer,
      el('button', {class: 'secondary', id: 'steer', onclick: () => control('steer', {message: steer.value})}, 'Steer'),
      el('button', {class: 'danger', id: 'cancel', onclick: () => control('cancel', {reason: 'cancelled in the console'})}, 'Cancel'));
  }

  async function control(command, body) {
    try {
      showError(null);
      await api('POST', '/sessions/' + encodeURIComponent(sessionId) + '/' + command, body);
    } catch (e) { showError(e); }
  }

  function render(event) {
    const e = event.event || {};
    const head = el('div', {class: 'head'}, el('b', {}, event.type), el('span', {}, '#' + event.seq), el('span', {}, time(event.at)));
    const body = [];
    switch (event.type) {
      case 'SessionStarted':
        body.push(el('pre', {}, e.input));
        break;
      case 'ModelRequested':
        body.push(el('span', {class: 'muted'}, 'model turn ' + e.turn));
        break;
      case 'ModelResponded':
        answered.add(e.workId);
        if (streaming.has(e.workId)) { streaming.get(e.workId).node.remove(); streaming.delete(e.workId); }
        if (e.text) body.push(el('pre', {class: 'text'}, e.text));
        (e.toolCalls || []).forEach(call => body.push(el('div', {}, 'calls ', el('code', {}, call.name), el('pre', {}, pretty(call.arguments)))));
        break;
      case 'ToolRequested':
        body.push(el('div', {}, el('code', {}, e.tool), ' on pool ', e.pool), el('pre', {}, pretty(e.arguments)));
        break;
      case 'ToolCompleted':
        body.push(el('div', {}, el('code', {}, e.tool), ' ', e.isError ? 'failed' : 'done'), el('pre', {}, e.content));
        break;
      case 'ApprovalRequested':
        body.push(el('div', {}, el('code', {}, e.tool), ' waits for approval'), el('pre', {}, pretty(e.arguments)));
        if (!decided.has(e.toolCallId)) {
          body.push(el('div', {class: 'row'},
            el('button', {class: 'approve', dataset: {call: e.toolCallId}, onclick: () => control('approve', {toolCallId: e.toolCallId})}, 'Approve'),
            el('button', {class: 'deny danger', dataset: {call: e.toolCallId}, onclick: () => control('deny', {toolCallId: e.toolCallId, message: 'denied in the console'})}, 'Deny')));
        }
        break;
      case 'ApprovalDecided':
        decided.add(e.toolCallId);
        document.querySelectorAll('button[data-call="' + CSS.escape(e.toolCallId) + '"]').forEach(b => b.remove());
        body.push(el('div', {}, el('code', {}, e.tool), e.approved ? ' approved' : ' denied', e.message ? ': ' + e.message : ''));
        break;
      case 'HumanAsked': {
        const answer = el('input', {class: 'answer-text', placeholder: 'your answer'});
        body.push(el('pre', {}, e.question));
        if (!decided.has(e.toolCallId)) {
          body.push(el('div', {class: 'row'}, answer,
            el('button', {class: 'answer', dataset: {call: e.toolCallId}, onclick: () => control('answer', {toolCallId: e.toolCallId, text: answer.value})}, 'Answer')));
        }
        break;
      }
      case 'HumanAnswered':
        decided.add(e.toolCallId);
        document.querySelectorAll('button[data-call="' + CSS.escape(e.toolCallId) + '"]').forEach(b => b.remove());
        body.push(el('pre', {}, e.answer));
        break;
      case 'UserMessageAdded':
        body.push(el('pre', {}, e.content));
        break;
      case 'FileWritten':
        workspace.set(e.path, e);
        renderFiles();
        body.push(el('code', {}, e.path), e.deleted ? ' deleted' : ' (' + e.size + ' bytes)');
        break;
      case 'SessionEnded':
        result.replaceChildren(el('h2', {}, 'Result'), el('pre', {id: 'output'}, e.output || e.error || ''));
        body.push(el('span', {class: 'status ' + e.status}, e.status), e.error ? el('pre', {}, e.error) : null);
        break;
      default:
        body.push(el('pre', {}, pretty(e)));
    }
    timeline.append(el('div', {class: 'event', dataset: {type: event.type, seq: event.seq}}, head, ...body));
  }

  function renderFiles() {
    files.replaceChildren(...[...workspace.values()]
      .filter(f => !f.deleted)
      .map(f => el('li', {}, el('code', {}, f.path), ' ', f.size + ' bytes',
        f.content ? el('pre', {}, decodeBase64(f.content)) : el('span', {class: 'muted'}, ' (kept on agentlog.blobs)'))));
    if (!files.children.length) files.append(el('li', {class: 'muted'}, 'none'));
  }

  renderFiles();
  // a session just submitted is not in the engine's store yet: wait for it (its events stream meanwhile)
  let stateTimer = null;
  const awaitState = (attempt) => refreshState().catch(e => {
    if (attempt < 40) stateTimer = setTimeout(() => awaitState(attempt + 1), 500);
    else showError(e);
  });
  awaitState(0);
  const query = token() ? '?access_token=' + encodeURIComponent(token()) : '';
  const source = new EventSource('/sessions/' + encodeURIComponent(sessionId) + '/events' + query);
  source.onmessage = () => {};
  const types = ['SessionStarted', 'ModelRequested', 'ModelResponded', 'ToolRequested', 'ToolCompleted',
    'ApprovalRequested', 'ApprovalDecided', 'HumanAsked', 'HumanAnswered', 'UserMessageAdded', 'FileWritten',
    'SleepStarted', 'WorkDelayed', 'WorkRejected', 'ChildEnded', 'HistoryCompacted', 'SessionForked', 'SessionEnded'];
  types.forEach(type => source.addEventListener(type, message => {
    render(JSON.parse(message.data));
    refreshState().catch(showError);
    if (type === 'SessionEnded') source.close();
  }));
  source.addEventListener('token', message => onToken(JSON.parse(message.data)));
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) return;
    // the browser reconnects by itself with Last-Event-ID: nothing is missed or shown twice
  };
  return () => { source.close(); clearTimeout(stateTimer); };
}

// ---- agents ----------------------------------------------------------------------------------------------------

async function agentsView() {
  const agents = (await api('GET', '/agents')).agents;
  const detail = el('div', {id: 'agent-detail'});
  const rows = agents.map(a => el('tr', {class: 'agent', dataset: {name: a.name}, onclick: async () => {
    try {
      const definition = await api('GET', '/agents/' + encodeURIComponent(a.name));
      detail.replaceChildren(el('div', {class: 'panel'}, el('h1', {}, a.name + '@' + definition.version), el('pre', {}, pretty(definition))));
    } catch (e) { showError(e); }
  }},
    el('td', {}, el('code', {}, a.name)), el('td', {}, a.version), el('td', {}, a.versions.join(', ')),
    el('td', {}, (a.model && a.model.provider) + (a.model && a.model.name ? ' ' + a.model.name : '')),
    el('td', {}, a.description || '')));
  view.replaceChildren(el('div', {class: 'panel'}, el('h1', {}, 'Agents'),
    el('table', {}, el('thead', {}, el('tr', {}, ['Agent', 'Newest', 'Versions', 'Model', 'Description'].map(h => el('th', {}, h)))),
      el('tbody', {id: 'agents'}, rows))), detail);
  return () => {};
}

// ---- routing ---------------------------------------------------------------------------------------------------

async function route() {
  cleanup();
  cleanup = () => {};
  showError(null);
  const hash = location.hash || '#/sessions';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  document.querySelectorAll('header nav a').forEach(a => a.classList.toggle('active', hash.startsWith(a.getAttribute('href'))));
  try {
    if (path.startsWith('/sessions/')) {
      cleanup = await sessionView(decodeURIComponent(path.slice('/sessions/'.length)));
    } else if (path === '/agents') {
      cleanup = await agentsView();
    } else {
      cleanup = await sessionsView(params);
    }
  } catch (e) {
    showError(e);
  }
}

document.getElementById('token-form').addEventListener('submit', event => {
  event.preventDefault();
  localStorage.setItem('agentlogToken', document.getElementById('token').value.trim());
  document.getElementById('token-form').hidden = true;
  route();
});
window.addEventListener('hashchange', route);
route();
