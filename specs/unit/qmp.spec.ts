// SPDX-License-Identifier: GPL-2.0-only
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient, QmpError, QmpFramer, parseQmpMessage } from '../../harness/machines/qmp.ts';
import { rejectionOf, tick, track, until } from '../support.ts';

describe('QmpFramer', () => {
  it('keeps a partial line until the chunk that ends it arrives', () => {
    const framer = new QmpFramer();
    expect(framer.push('{"return": {"status": "runn')).to.deep.equal([]);
    expect(framer.push('ing"}, "id": "a"')).to.deep.equal([]);
    expect(framer.push('}\r\n')).to.deep.equal([{ kind: 'return', id: 'a', value: { status: 'running' } }]);
  });

  it('returns every message of a chunk that holds several, in order, skipping blank lines', () => {
    const framer = new QmpFramer();
    const chunk =
      '{"QMP": {"version": {"qemu": {"major": 8}}, "capabilities": []}}\r\n' +
      '\r\n' +
      '{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}\r\n' +
      '{"return": {}, "id": "b"}\r\n' +
      '{"error": {"class": "Gener'; // the start of the next message
    const messages = framer.push(chunk);
    expect(messages.map((m) => m.kind)).to.deep.equal(['greeting', 'event', 'return']);
    expect(framer.push('icError", "desc": "x"}, "id": "c"}\n')).to.deep.equal([
      { kind: 'error', id: 'c', errorClass: 'GenericError', desc: 'x' },
    ]);
  });
});

describe('parseQmpMessage', () => {
  it('recognises the greeting and keeps its version', () => {
    const version = { qemu: { major: 8, minor: 2, micro: 0 }, package: '' };
    expect(parseQmpMessage({ QMP: { version, capabilities: ['oob'] } })).to.deep.equal({ kind: 'greeting', version });
  });

  it('recognises a return, with its id when the id is a string and without one otherwise', () => {
    expect(parseQmpMessage({ return: { running: true }, id: 'x-1' })).to.deep.equal({
      kind: 'return',
      id: 'x-1',
      value: { running: true },
    });
    expect(parseQmpMessage({ return: {} })).to.deep.equal({ kind: 'return', id: undefined, value: {} });
    expect(parseQmpMessage({ return: {}, id: 7 })).to.deep.equal({ kind: 'return', id: undefined, value: {} });
  });

  it('recognises an error with its class and description', () => {
    expect(
      parseQmpMessage({ error: { class: 'DeviceNotFound', desc: "Device 'x' not found" }, id: 'x-2' }),
    ).to.deep.equal({
      kind: 'error',
      id: 'x-2',
      errorClass: 'DeviceNotFound',
      desc: "Device 'x' not found",
    });
  });

  it('recognises an event and keeps its data and timestamp', () => {
    const raw = {
      event: 'SHUTDOWN',
      data: { guest: true, reason: 'guest-panic' },
      timestamp: { seconds: 10, microseconds: 5 },
    };
    expect(parseQmpMessage(raw)).to.deep.equal({ kind: 'event', event: raw });
  });

  it('throws on a message that is none of these, quoting it', () => {
    expect(() => parseQmpMessage({ hello: 'world' })).to.throw(/unrecognised QMP message: \{"hello":"world"\}/);
  });
});

type Command = { execute: string; id: string; arguments?: Record<string, unknown> };

/**
 * A QMP server in the style of QEMU's: greets, answers qmp_capabilities
 * (unless told to hold it back) and hands every other command to `onCommand`.
 */
class FakeQmp {
  readonly commands: Command[] = [];
  readonly sockets: Socket[] = [];
  answerCapabilities = true;
  onCommand: (command: Command, peer: Socket) => void = () => {};
  private readonly server: Server;

  private constructor(readonly path: string) {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      socket.setEncoding('utf8');
      let pending = '';
      socket.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines.filter((l) => l.trim() !== '')) {
          const command = JSON.parse(line) as Command;
          this.commands.push(command);
          if (command.execute === 'qmp_capabilities') {
            if (this.answerCapabilities) send(socket, { return: {}, id: command.id });
          } else this.onCommand(command, socket);
        }
      });
      socket.on('error', () => {});
      send(socket, {
        QMP: { version: { qemu: { major: 8, minor: 2, micro: 0 }, package: '' }, capabilities: ['oob'] },
      });
    });
  }

  static async start(dir: string): Promise<FakeQmp> {
    const fake = new FakeQmp(join(dir, 'qmp.sock'));
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(fake.path, resolve);
    });
    return fake;
  }

  get peer(): Socket {
    const socket = this.sockets[0];
    if (socket === undefined) throw new Error('no client connected');
    return socket;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function send(socket: Socket, message: unknown): void {
  socket.write(`${JSON.stringify(message)}\r\n`);
}

describe('QmpClient against a fake QMP server', () => {
  let dir: string;
  let fake: FakeQmp;
  let client: QmpClient | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qmp-spec-'));
    fake = await FakeQmp.start(dir);
    client = undefined;
  });

  afterEach(async () => {
    client?.close();
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the greeting, then negotiates capabilities before connect() resolves', async () => {
    fake.answerCapabilities = false;
    const connecting = QmpClient.connect(fake.path, 2000);
    const state = track(connecting);
    await until(() => fake.commands.length === 1, 'the client sends qmp_capabilities');
    expect(fake.commands[0]?.execute).to.equal('qmp_capabilities');
    await tick();
    expect(state.settled, 'connect() must wait for the qmp_capabilities reply').to.equal(false);
    send(fake.peer, { return: {}, id: fake.commands[0]?.id });
    client = await connecting;
    expect(fake.commands.map((c) => c.execute)).to.deep.equal(['qmp_capabilities']);
  });

  it('matches replies to commands by id when the server answers two commands out of order', async () => {
    const held: Command[] = [];
    fake.onCommand = (command, peer) => {
      held.push(command);
      if (held.length < 2) return;
      // Answer the second command first.
      for (const c of [...held].reverse()) send(peer, { return: { answerTo: c.execute }, id: c.id });
    };
    client = await QmpClient.connect(fake.path, 2000);
    const [status, name] = await Promise.all([
      client.execute('query-status'),
      client.execute('query-name', { verbose: true }),
    ]);
    expect(status).to.deep.equal({ answerTo: 'query-status' });
    expect(name).to.deep.equal({ answerTo: 'query-name' });
    expect(held[0]?.id).to.not.equal(held[1]?.id);
    expect(held[1]?.arguments).to.deep.equal({ verbose: true });
  });

  it('delivers an event to waitForEvent by name and keeps every event in `events`', async () => {
    client = await QmpClient.connect(fake.path, 2000);
    const stop = client.waitForEvent('STOP', 2000);
    send(fake.peer, { event: 'RESUME', timestamp: { seconds: 1, microseconds: 0 } });
    send(fake.peer, { event: 'STOP', data: { why: 'test' }, timestamp: { seconds: 2, microseconds: 0 } });
    const event = await stop;
    expect(event).to.deep.equal({ event: 'STOP', data: { why: 'test' }, timestamp: { seconds: 2, microseconds: 0 } });
    expect(client.events.map((e) => e.event)).to.deep.equal(['RESUME', 'STOP']);
  });

  it('waitForEvent rejects when the event does not come in time', async () => {
    client = await QmpClient.connect(fake.path, 2000);
    const error = await rejectionOf(client.waitForEvent('SHUTDOWN', 30));
    expect(error.message).to.equal('no QMP event SHUTDOWN within 30 ms');
  });

  it('rejects a command answered with an error with a QmpError naming command, class and description', async () => {
    fake.onCommand = (command, peer) =>
      send(peer, { error: { class: 'DeviceNotFound', desc: "Device 'nic0' not found" }, id: command.id });
    client = await QmpClient.connect(fake.path, 2000);
    const error = await rejectionOf(client.execute('device_del', { id: 'nic0' }));
    expect(error).to.be.instanceOf(QmpError);
    expect((error as QmpError).command).to.equal('device_del');
    expect((error as QmpError).errorClass).to.equal('DeviceNotFound');
    expect(error.message).to.equal("QMP device_del failed: DeviceNotFound: Device 'nic0' not found");
  });

  it('rejects pending commands when the server closes the connection, and later commands at once', async () => {
    fake.onCommand = (_command, peer) => peer.destroy();
    client = await QmpClient.connect(fake.path, 2000);
    let closeEvents = 0;
    client.on('close', () => closeEvents++);
    const error = await rejectionOf(client.execute('quit'));
    expect(error.message).to.equal('QMP connection closed');
    expect(closeEvents).to.equal(1);
    const later = await rejectionOf(client.execute('query-status'));
    expect(later.message).to.match(/query-status: connection closed/);
  });

  it('rejects pending commands when the client itself closes (e.g. after QEMU exited)', async () => {
    client = await QmpClient.connect(fake.path, 2000); // the fake never answers other commands
    const pending = client.execute('system_reset');
    await until(() => fake.commands.length === 2, 'the server has the command');
    client.close();
    const error = await rejectionOf(pending, 1000);
    expect(error.message).to.match(/closed/);
  });

  it('fails to connect when no greeting arrives in time, and closes its end of the socket', async () => {
    const peers: Socket[] = [];
    let closedByClient = 0;
    const silent = createServer((socket) => {
      peers.push(socket);
      socket.on('error', () => {});
      socket.on('close', () => closedByClient++);
    });
    const path = join(dir, 'silent.sock');
    await new Promise<void>((resolve) => silent.listen(path, resolve));
    try {
      const error = await rejectionOf(QmpClient.connect(path, 50));
      expect(error.message).to.equal(`no QMP greeting on ${path} within 50 ms`);
      await until(() => closedByClient === 1, 'the client closed the connection it gave up on');
    } finally {
      for (const socket of peers) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
