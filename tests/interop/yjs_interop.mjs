// Yjs interop acceptance test (issue 5): stock npm `yjs` + `y-websocket` clients against the real
// sync-server relay. Run by `sync-server/tests/yjs_interop.rs`, which starts the server, creates the
// accounts and the creative, and joins the same document with editor-core's Rust client.
//
// Environment:
//   BASE           http://HOST:PORT of the server
//   OWNER_ACCESS   bearer access token of a team member who may edit
//   VIEWER_ACCESS  bearer access token of a Viewer of the same team
//   CREATIVE_ID    the creative (its design holds at least one text and one shape layer)
//   RUST_PEER=1    wait for a `rust-done` line on stdin before the final check (the orchestrator
//                  sends it once the Rust client's edits are acknowledged)
//   SEED           optional PRNG seed (printed on start, so a failing run can be replayed)
//
// Scenario: editors A, B and C edit text and maps concurrently; C goes offline, keeps editing and
// comes back; D joins late and edits; a Viewer V edits online and offline (none of it may reach
// anyone or the database, but V keeps receiving); an idle client I, alone on a second creative,
// stays connected for more than 40 s (y-websocket drops a socket that receives nothing for 30 s).
// All editors must converge to each other and to the state the server persisted.
//
// Stdout carries only `PHASE <name>` lines and, last, `FINAL <json>` (the converged
// `{design, layers}`, keys sorted); diagnostics go to stderr. Exit 0 on success, 1 on failure.

import readline from 'node:readline'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const started = Date.now()
const log = (...args) => console.error(`[interop +${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args)

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message)
}

function env(name) {
  const value = process.env[name]
  if (!value) fail(`environment variable ${name} is not set`)
  return value
}

const BASE = env('BASE').replace(/\/+$/, '')
const WS_BASE = `${BASE.replace(/^http/, 'ws')}/sync`
const OWNER = env('OWNER_ACCESS')
const VIEWER = env('VIEWER_ACCESS')
const CREATIVE = env('CREATIVE_ID')
const RUST_PEER = process.env.RUST_PEER === '1'
const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000_007)

// An idle socket must outlive y-websocket's 30 s "no message received" watchdog.
const IDLE_MS = 41_000
const CONVERGE_MS = 15_000

// mulberry32: small, seeded, good enough to shuffle edits.
let seedState = SEED >>> 0
function random() {
  seedState = (seedState + 0x6d2b79f5) >>> 0
  let t = seedState
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const randInt = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const jitter = () => sleep(randInt(0, 25))

function phase(name) {
  log(`phase: ${name}`)
  process.stdout.write(`PHASE ${name}\n`)
}

// ---------------------------------------------------------------------------------------------
// REST

async function api(method, path, token, body) {
  const res = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return res
}

async function apiJson(method, path, token, body, expectStatus) {
  const res = await api(method, path, token, body)
  const text = await res.text()
  if (res.status !== expectStatus) fail(`${method} ${path}: expected ${expectStatus}, got ${res.status}: ${text}`)
  return JSON.parse(text)
}

/** A fresh document token; checks the access level and path the server grants. */
async function syncToken(access, creativeId, expectAccess) {
  const body = await apiJson('POST', `/creatives/${creativeId}/sync-token`, access, undefined, 200)
  if (body.access !== expectAccess) fail(`sync-token for ${creativeId}: access ${body.access}, expected ${expectAccess}`)
  if (body.path !== `/sync/${creativeId}`) fail(`sync-token path ${body.path}, expected /sync/${creativeId}`)
  if (typeof body.token !== 'string' || body.token.length === 0) fail(`sync-token without a token: ${JSON.stringify(body)}`)
  if (!(body.expires_at > Date.now())) fail(`sync-token already expired: ${JSON.stringify(body)}`)
  return body.token
}

/** What the server persisted (read from the database), as a fresh Y.Doc. */
async function persistedDoc() {
  const res = await api('GET', `/creatives/${CREATIVE}/document`, OWNER)
  const bytes = new Uint8Array(await res.arrayBuffer())
  if (res.status !== 200) fail(`GET /creatives/${CREATIVE}/document: ${res.status}: ${new TextDecoder().decode(bytes)}`)
  const type = res.headers.get('content-type') ?? ''
  if (!type.startsWith('application/octet-stream')) fail(`GET /document content-type is ${type}`)
  const doc = new Y.Doc()
  Y.applyUpdate(doc, bytes)
  return doc
}

// ---------------------------------------------------------------------------------------------
// Document helpers (editor-core's schema: root maps `design` and `layers`; see schema.rs)

/** `{design, layers}` as plain JSON, like editor-core's `Document::to_json`. */
const docJson = (doc) => ({ design: doc.getMap('design').toJSON(), layers: doc.getMap('layers').toJSON() })

/** JSON with object keys sorted, so replicas that integrated keys in another order compare equal. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

/** The first paths where two JSON values differ. */
function diff(a, b, path = '', out = []) {
  if (out.length >= 12) return out
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[k], b[k], `${path}.${k}`, out)
  } else if (canonical(a) !== canonical(b)) {
    out.push(`${path || '(root)'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
  }
  return out
}

const layers = (doc) => doc.getMap('layers')
const layer = (doc, id) => {
  const map = layers(doc).get(id)
  if (!(map instanceof Y.Map)) fail(`layer ${id} is missing`)
  return map
}
const ytext = (doc, id) => {
  const text = layer(doc, id).get('text')
  if (!(text instanceof Y.Text)) fail(`layer ${id} has no Y.Text`)
  return text
}

/** The plain (non-Yjs-type) properties of a layer map, to copy into a new layer. */
function plainProps(map) {
  const props = []
  for (const [k, v] of map.entries()) if (!(v instanceof Y.AbstractType)) props.push([k, v])
  return props
}

// ---------------------------------------------------------------------------------------------
// Clients

const problems = []
const problem = (message) => {
  log(`PROBLEM: ${message}`)
  problems.push(message)
}

class Client {
  constructor(name, access, expectAccess, creativeId = CREATIVE) {
    Object.assign(this, { name, access, expectAccess, creativeId })
    this.doc = new Y.Doc()
    this.provider = null
    this.offline = false
    this.closes = []
  }

  async connect() {
    const token = await syncToken(this.access, this.creativeId, this.expectAccess)
    this.offline = false
    if (this.provider === null) {
      this.provider = new WebsocketProvider(WS_BASE, this.creativeId, this.doc, {
        params: { token },
        WebSocketPolyfill: WebSocket,
        // In one Node process the BroadcastChannel would sync the clients without the server.
        disableBc: true,
        maxBackoffTime: 1000,
      })
      this.provider.awareness.setLocalStateField('user', { name: this.name })
      this.provider.on('status', ({ status }) => {
        if (status === 'disconnected' && !this.offline) problem(`${this.name}: unexpected disconnect`)
      })
      this.provider.on('connection-close', (event) => {
        const detail = event ? `code ${event.code} reason ${JSON.stringify(event.reason?.toString())}` : 'closed locally'
        this.closes.push(detail)
        if (!this.offline) log(`${this.name}: socket closed (${detail})`)
      })
      this.provider.on('connection-error', (event) => log(`${this.name}: socket error ${event?.message ?? ''}`))
      this.provider.on('closed', ({ code, reason }) => problem(`${this.name}: server closed for good: ${code} ${reason}`))
    } else {
      this.provider.params = { token }
      this.provider.connect()
    }
    await this.waitSynced()
    this.ws = this.provider.ws
    this.connectedAt = Date.now()
  }

  waitSynced(ms = 10_000) {
    return new Promise((resolve, reject) => {
      if (this.provider.synced) return resolve()
      const timer = setTimeout(() => {
        this.provider.off('sync', onSync)
        reject(new Failure(`${this.name}: not synced after ${ms} ms (socket closes: ${this.closes.join('; ')})`))
      }, ms)
      const onSync = (synced) => {
        if (!synced) return
        clearTimeout(timer)
        this.provider.off('sync', onSync)
        resolve()
      }
      this.provider.on('sync', onSync)
    })
  }

  goOffline() {
    this.offline = true
    this.provider.disconnect()
  }

  json() {
    return docJson(this.doc)
  }

  destroy() {
    this.offline = true
    this.provider?.destroy()
    this.doc.destroy()
  }
}

// ---------------------------------------------------------------------------------------------
// Edits, all valid for editor-core's schema

let TEXT_ID
let SHAPE_ID

/** One random edit: text insert (mostly), an occasional delete, or a numeric property. */
function randomEdit(client, tag) {
  const doc = client.doc
  const roll = random()
  const text = ytext(doc, TEXT_ID)
  if (roll < 0.45) {
    text.insert(randInt(0, text.length), tag)
  } else if (roll < 0.55 && text.length > 12) {
    text.delete(randInt(0, text.length - 2), randInt(1, 2))
  } else {
    const target = layer(doc, random() < 0.5 ? TEXT_ID : SHAPE_ID)
    const key = ['x', 'y', 'opacity', 'rot'][randInt(0, 3)]
    const value =
      key === 'opacity' ? randInt(0, 100) / 100 : key === 'rot' ? randInt(-90, 90) + 0.5 : randInt(0, 900)
    target.set(key, value)
  }
}

/** Adds a shape layer modelled on the existing shape (same kind and props, new position). */
function addShape(doc, id, z, x) {
  const source = layer(doc, SHAPE_ID)
  const props = new Map(plainProps(source))
  props.set('name', id)
  props.set('z', z)
  props.set('x', x)
  props.set('y', x / 2)
  layers(doc).set(id, new Y.Map([...props]))
}

/** Adds a text layer modelled on the existing one, with its own Y.Text. */
function addText(doc, id, z, text) {
  const props = new Map(plainProps(layer(doc, TEXT_ID)))
  props.set('name', id)
  props.set('z', z)
  props.set('text', new Y.Text(text))
  layers(doc).set(id, new Y.Map([...props]))
}

// The Viewer's marks: nobody else writes any of them.
const VIEWER_CHAR = '✗'
const VIEWER_NAME = 'renamed by a viewer'
const VIEWER_LAYER = 'viewer_layer'

/** Which of the Viewer's marks `json` shows. */
function viewerMarks(json) {
  const marks = []
  const text = json.layers[TEXT_ID]?.text ?? ''
  if (text.includes(VIEWER_CHAR)) marks.push(`text ${JSON.stringify(text)}`)
  if (json.design.name === VIEWER_NAME) marks.push('design.name')
  if (VIEWER_LAYER in json.layers) marks.push(`layer ${VIEWER_LAYER}`)
  const shape = json.layers[SHAPE_ID] ?? {}
  if (shape.hidden === true) marks.push('shape hidden')
  if (!('locked' in shape)) marks.push('shape locked key deleted')
  return marks
}

function guardAgainstViewer(client) {
  client.doc.on('update', () => {
    const marks = viewerMarks(client.json())
    if (marks.length > 0 && !client.leaked) {
      client.leaked = true
      problem(`a Viewer's edit reached ${client.name}: ${marks.join(', ')}`)
    }
  })
}

// ---------------------------------------------------------------------------------------------

async function waitConverged(clients, { withPersisted }) {
  const deadline = Date.now() + CONVERGE_MS
  let last = ''
  for (;;) {
    const jsons = clients.map((c) => [c.name, c.json()])
    if (withPersisted) jsons.push(['persisted', docJson(await persistedDoc())])
    const [firstName, first] = jsons[0]
    const differing = jsons.filter(([, j]) => canonical(j) !== canonical(first))
    if (differing.length === 0) return first
    last = differing
      .map(([name, j]) => `${firstName} vs ${name}:\n    ${diff(first, j).join('\n    ')}`)
      .join('\n  ')
    if (Date.now() > deadline) fail(`no convergence after ${CONVERGE_MS} ms:\n  ${last}`)
    await sleep(100)
  }
}

function rustDone() {
  if (!RUST_PEER) return Promise.resolve()
  const lines = readline.createInterface({ input: process.stdin })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Failure('no `rust-done` on stdin within 90 s')), 90_000)
    lines.on('line', (line) => {
      if (line.trim() === 'rust-done') {
        clearTimeout(timer)
        resolve()
        lines.close()
      }
    })
    lines.on('close', () => reject(new Failure('stdin closed before `rust-done`')))
  })
}

async function idleClient() {
  // Alone on a creative of its own, so nothing but the server's echo of its own awareness
  // renewals (every 15 s) reaches it.
  const creative = await apiJson('GET', `/creatives/${CREATIVE}`, OWNER, undefined, 200)
  const idle = await apiJson(
    'POST',
    `/projects/${creative.project_id}/creatives`,
    OWNER,
    { name: 'Idle', width: 200, height: 200 },
    201,
  )
  const client = new Client('I', OWNER, 'edit', idle.id)
  await client.connect()
  return client
}

async function main() {
  log(`seed ${SEED}; server ${BASE}; creative ${CREATIVE}`)
  const rustDoneLine = rustDone()
  rustDoneLine.catch(() => {})

  const idlePromise = idleClient()

  // --- Three editors join and edit concurrently.
  const A = new Client('A', OWNER, 'edit')
  const B = new Client('B', OWNER, 'edit')
  const C = new Client('C', OWNER, 'edit')
  await Promise.all([A.connect(), B.connect(), C.connect()])
  const start = A.json()
  for (const [id, props] of Object.entries(start.layers)) {
    if (props.kind === 'text' && TEXT_ID === undefined) TEXT_ID = id
    if (props.kind === 'shape' && SHAPE_ID === undefined) SHAPE_ID = id
  }
  if (TEXT_ID === undefined || SHAPE_ID === undefined) fail(`the creative needs a text and a shape layer: ${canonical(start)}`)
  log(`text layer ${TEXT_ID}, shape layer ${SHAPE_ID}`)
  for (const c of [A, B, C]) {
    if (canonical(c.json()) !== canonical(start)) fail(`${c.name} synced a different initial state`)
    guardAgainstViewer(c)
  }

  phase('concurrent')
  for (let round = 0; round < 12; round++) {
    // Same tick: none of the three has seen the others' edits of this round.
    for (const c of [A, B, C]) randomEdit(c, `${c.name.toLowerCase()}${round}`)
    await jitter()
    // Staggered: some see some.
    for (const c of [C, B, A]) {
      randomEdit(c, `${c.name.toLowerCase()}${round}`)
      await jitter()
    }
    // The same key from all three at once: last writer wins, identically everywhere.
    for (const c of [A, B, C]) layer(c.doc, SHAPE_ID).set('x', randInt(0, 900))
  }
  addShape(A.doc, 'node_a', 'a5', 120)
  addShape(B.doc, 'node_b', 'a6', 240)
  await waitConverged([A, B, C], { withPersisted: false })

  // --- C goes offline and keeps editing; A and B keep editing.
  phase('offline')
  C.goOffline()
  for (let round = 0; round < 8; round++) {
    randomEdit(C, `c_off${round}`)
    randomEdit(A, `a_on${round}`)
    await jitter()
    randomEdit(B, `b_on${round}`)
  }
  addShape(C.doc, 'offline_c', 'a7', 360)
  ytext(C.doc, TEXT_ID).insert(0, 'c-offline ')
  layer(C.doc, TEXT_ID).set('opacity', 0.25)
  layer(A.doc, TEXT_ID).set('opacity', 0.75)
  await waitConverged([A, B], { withPersisted: false })
  await sleep(300)
  if (layers(A.doc).has('offline_c') || layers(B.doc).has('offline_c')) fail("C's offline edit reached A/B while C was offline")
  phase('reconnect')
  await C.connect()
  await waitConverged([A, B, C], { withPersisted: false })
  if (!layers(A.doc).has('offline_c')) fail("C's offline layer did not reach A after C reconnected")

  // --- D joins late, with everything already there, and edits.
  phase('late-join')
  const D = new Client('D', OWNER, 'edit')
  guardAgainstViewer(D)
  await D.connect()
  if (canonical(D.json()) !== canonical(A.json())) {
    // A may have received more since; D must at least hold C's offline layer straight after sync.
    if (!layers(D.doc).has('offline_c')) fail('late joiner D synced without the offline edits')
  }
  addText(D.doc, 'late_d', 'a8', 'hello from d')
  for (let round = 0; round < 5; round++) {
    for (const c of [A, B, C, D]) randomEdit(c, `${c.name.toLowerCase()}_late${round}`)
    await jitter()
  }
  await waitConverged([A, B, C, D], { withPersisted: false })
  ytext(A.doc, 'late_d').insert(0, 'a says ')
  ytext(D.doc, 'late_d').insert(ytext(D.doc, 'late_d').length, ' and d')

  // --- A Viewer edits online and offline; nothing of it may reach anyone.
  phase('viewer')
  const V = new Client('V', VIEWER, 'view')
  await V.connect()
  const vText = ytext(V.doc, TEXT_ID)
  vText.insert(randInt(0, vText.length), VIEWER_CHAR.repeat(2))
  V.doc.getMap('design').set('name', VIEWER_NAME)
  layer(V.doc, SHAPE_ID).set('hidden', true)
  await sleep(200)
  // Offline edits travel in the sync step 2 that answers the server's step 1 on reconnect.
  V.goOffline()
  addShape(V.doc, VIEWER_LAYER, 'a9', 10)
  layer(V.doc, SHAPE_ID).delete('locked')
  vText.insert(0, VIEWER_CHAR)
  await V.connect()
  // Editors keep going meanwhile; V must receive their edits.
  for (let round = 0; round < 3; round++) {
    for (const c of [A, B, D]) randomEdit(c, `${c.name.toLowerCase()}_v${round}`)
    await jitter()
  }

  phase('await-rust')
  await rustDoneLine

  phase('converge')
  const editors = [A, B, C, D]
  const converged = await waitConverged(editors, { withPersisted: true })
  const marks = viewerMarks(converged)
  if (marks.length > 0) fail(`a Viewer's edits were persisted: ${marks.join(', ')}`)

  // V received everyone's edits: its state minus its own marks is the converged state.
  const deadline = Date.now() + CONVERGE_MS
  for (;;) {
    const mine = V.json()
    const text = mine.layers[TEXT_ID]
    if (text) text.text = text.text.replaceAll(VIEWER_CHAR, '')
    mine.design.name = converged.design.name
    delete mine.layers[VIEWER_LAYER]
    if (mine.layers[SHAPE_ID]) {
      mine.layers[SHAPE_ID].hidden = converged.layers[SHAPE_ID].hidden
      mine.layers[SHAPE_ID].locked = converged.layers[SHAPE_ID].locked
    }
    if (canonical(mine) === canonical(converged)) break
    if (Date.now() > deadline) fail(`the Viewer did not receive the editors' state:\n    ${diff(converged, mine).join('\n    ')}`)
    await sleep(100)
  }

  // --- The idle client stayed on one socket for more than 40 s.
  phase('idle')
  const idle = await idlePromise
  const waitMore = IDLE_MS - (Date.now() - idle.connectedAt)
  if (waitMore > 0) {
    log(`waiting ${(waitMore / 1000).toFixed(1)} s more for the idle client`)
    await sleep(waitMore)
  }
  if (idle.provider.ws !== idle.ws || !idle.provider.wsconnected || idle.closes.length > 0) {
    fail(`idle client I lost its socket within ${IDLE_MS} ms (closes: ${idle.closes.join('; ') || 'none'})`)
  }
  for (const c of [A, B]) {
    if (c.provider.ws !== c.ws || c.closes.length > 0) fail(`${c.name} lost its socket: ${c.closes.join('; ')}`)
  }

  // Still converged after the wait (nothing arrived late), and persisted.
  const final = await waitConverged(editors, { withPersisted: true })
  if (canonical(final) !== canonical(converged)) fail('the state changed after convergence')
  if (problems.length > 0) fail(`problems during the run:\n  ${problems.join('\n  ')}`)

  for (const c of [A, B, C, D, V, idle]) c.destroy()
  process.stdout.write(`FINAL ${canonical(final)}\n`)
  log(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

const watchdog = setTimeout(() => {
  console.error('yjs_interop: FAILED: the whole run took more than 150 s')
  process.exit(1)
}, 150_000)
watchdog.unref()

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`yjs_interop: FAILED: ${error instanceof Failure ? error.message : error?.stack ?? error}`)
    if (problems.length > 0) console.error(`also:\n  ${problems.join('\n  ')}`)
    process.exit(1)
  },
)
