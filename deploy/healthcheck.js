#!/usr/bin/env node
'use strict';
/**
 * Container health check of the Rotor services (docker-compose.yml), in plain Node: the
 * image has no curl or wget, and the services need no code of their own for it.
 *
 *   node deploy/healthcheck.js http <url>   healthy when GET <url> answers 2xx within 3 s
 *                                           (the gateway: http://127.0.0.1:3000/health)
 *   node deploy/healthcheck.js nats         healthy when this container holds an
 *                                           ESTABLISHED TCP connection to the NATS port
 *                                           (from NATS_URL, default 4222)
 *
 * What `nats` proves, and what it does not: the service process is up, got past reading
 * its configuration and KEK ring (it exits otherwise), and is connected to NATS right now
 * (the client pings the server, so a dead link is dropped and this check fails until the
 * client reconnects). It does not prove that a handler answers. It reads
 * /proc/net/tcp{,6}, which lists the sockets of the container's network namespace, where
 * the service is the only process with connections.
 *
 * Exit code 0 healthy, 1 unhealthy (the reason on stderr).
 */
const { readFileSync } = require('node:fs');
const http = require('node:http');

const ESTABLISHED = '01';

function natsPort() {
  try {
    return Number(new URL(process.env.NATS_URL || 'nats://127.0.0.1:4222').port || 4222);
  } catch {
    return 4222;
  }
}

/** Remote ports of the ESTABLISHED TCP connections in this network namespace. */
function establishedRemotePorts() {
  const ports = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 in this namespace
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // fields: sl local_address rem_address st ...; addresses are HEXIP:HEXPORT
      if (fields[3] === ESTABLISHED) ports.add(parseInt(fields[2].split(':')[1], 16));
    }
  }
  return ports;
}

function checkNats() {
  const port = natsPort();
  if (establishedRemotePorts().has(port)) return Promise.resolve();
  return Promise.reject(new Error(`no established connection to NATS (port ${port})`));
}

function checkHttp(url) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: 3000 }, (response) => {
      response.resume();
      const status = response.statusCode || 0;
      if (status >= 200 && status < 300) resolve();
      else reject(new Error(`GET ${url} answered ${status}`));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

const [mode, url] = process.argv.slice(2);
const check =
  mode === 'nats'
    ? checkNats()
    : mode === 'http' && url
      ? checkHttp(url)
      : Promise.reject(new Error('usage: healthcheck.js nats | healthcheck.js http <url>'));

check.then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`unhealthy: ${error.message}\n`);
    process.exit(1);
  },
);
