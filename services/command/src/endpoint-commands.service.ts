import { Inject, Injectable } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { errorReply, SUBJECTS } from '@rotor/contracts';
import type {
  DeleteEndpointReply,
  DeleteEndpointRequest,
  ExpirePreviousSecretReply,
  ExpirePreviousSecretRequest,
  RegisterEndpointReply,
  RegisterEndpointRequest,
  RequestMeta,
  RevokePreviousSecretReply,
  RevokePreviousSecretRequest,
  MarkRotationDueReply,
  MarkRotationDueRequest,
  RotateOnScheduleReply,
  RotateOnScheduleRequest,
  RotateSecretReply,
  RotateSecretRequest,
} from '@rotor/contracts';
import {
  DataKeyVault,
  endpointIdForExternalId,
  endpointIdForIdempotencyKey,
  fingerprintOf,
  generateEd25519Key,
  generateSecret,
  newEndpointId,
  newKeyId,
  openSecret,
  sealSecret,
  type KekRing,
} from '@rotor/crypto';
import {
  DomainError,
  EVENT_VERSIONS,
  decide,
  endpointStreamName,
  evolve,
  initialState,
  isDomainError,
  isEndpointId,
  isSigningScheme,
  signingSchemeFor,
  suppliedSecretProblem,
  upcast,
  type EndpointCommand,
  type EndpointEvent,
  type EndpointState,
  type SealedKey,
  type SigningScheme,
} from '@rotor/domain';
import {
  handleCommand,
  isIdempotencyKeyReused,
  StreamFoldCache,
  type CommandHandled,
  type CommandReplayed,
  type EventStore,
} from '@rotor/event-store';
import { applyToEndpointView, type EndpointView } from '@rotor/projections';
import {
  CLOCK,
  DATA_KEY_VAULT,
  EVENT_STORE,
  KEK_RING,
  rejectWith,
  type Clock,
} from '@rotor/runtime';

/** An execution found again: the reply is rebuilt from the events it recorded. */
type Replay = CommandReplayed<EndpointState, EndpointEvent>;
type Outcome = CommandHandled<EndpointState, EndpointEvent> | Replay;

/** Streams whose fold the service keeps between commands (each holds one endpoint's state). */
export const FOLD_CACHE_STREAMS = 10_000;

/**
 * The write side: load -> decide -> append expecting the revision read -> reply. It never
 * publishes: the projector picks the events up from the store's feed (STYLE.md).
 * Plaintext secrets exist only in this process's memory and in the one reply that hands
 * them to the caller.
 *
 * A command with `meta.idempotencyKey` executes once per (actor, key) within 24 h (see
 * `handleCommand`); a retry gets the first execution's reply, rebuilt from its events,
 * secret included (opened again with the endpoint's data key), with `replayed: true`. Once
 * the endpoint is deleted its data key is gone, and so is every reply holding its secret.
 */
@Injectable()
export class EndpointCommandsService {
  private readonly folds = new StreamFoldCache<EndpointState, EndpointEvent>(FOLD_CACHE_STREAMS);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATA_KEY_VAULT) private readonly vault: DataKeyVault,
    @Inject(CLOCK) private readonly clock: Clock,
    // Only for its audit key: the writer signs the chain of what it appends (DESIGN §6).
    @Inject(KEK_RING) private readonly kekRing: Pick<KekRing, 'audit'>,
  ) {}

  async register(request: RegisterEndpointRequest): Promise<RegisterEndpointReply> {
    const { meta } = request;
    // A retried registration must land on the stream of the first one.
    // (An external id names one endpoint per tenant: a second import of it lands there too.)
    const endpointId =
      request.endpointId ??
      (request.externalId !== undefined
        ? endpointIdForExternalId(request.tenantId, request.externalId)
        : meta.idempotencyKey === undefined
          ? newEndpointId()
          : endpointIdForIdempotencyKey(request.tenantId, meta.actor, meta.idempotencyKey));
    if (!isEndpointId(endpointId))
      rejectWith(new DomainError('invalid_command', 'malformed endpoint id', 'endpointId'));
    const supplied = suppliedSecretOf(request);
    const now = this.clock();
    const fresh = await this.newKey(endpointId, now, { mustExist: false, supplied });
    const outcome = await this.run(
      SUBJECTS.command.registerEndpoint,
      request,
      endpointId,
      undefined,
      withKey(fresh, request.signing, supplied, (key) => ({
        type: 'RegisterEndpoint',
        data: {
          endpointId,
          tenantId: request.tenantId,
          ...(request.url === undefined ? {} : { url: request.url }),
          ...(request.description === undefined ? {} : { description: request.description }),
          key,
          ...(request.rotationPolicy === undefined
            ? {}
            : { rotationPolicy: request.rotationPolicy }),
          ...(request.externalId === undefined ? {} : { externalId: request.externalId }),
        },
        now,
      })),
    );
    if (outcome.replayed) {
      const registered = outcome.events.find((e) => e.type === 'EndpointRegistered');
      if (registered?.type !== 'EndpointRegistered')
        throw new Error('a replayed registration without EndpointRegistered');
      const { key } = registered.data;
      return {
        endpoint: await this.view(endpointId, lastRevisionOf(outcome)),
        keyId: key.keyId,
        ...(await this.handOver(endpointId, key)),
        replayed: true,
      };
    }
    const registered = outcome.events.find((e) => e.type === 'EndpointRegistered');
    if (registered?.type !== 'EndpointRegistered')
      throw new Error('a registration without EndpointRegistered');
    const { key } = registered.data;
    return {
      endpoint: await this.view(endpointId),
      keyId: key.keyId,
      ...handOverFresh(fresh as KeyMaker, key),
    };
  }

  async rotate(request: RotateSecretRequest): Promise<RotateSecretReply> {
    return this.rotation(
      SUBJECTS.command.rotateSecret,
      request,
      request.tenantId,
      request.signing,
      suppliedSecretOf(request),
      {
        ...(request.expireCurrentIn === undefined
          ? {}
          : { expireCurrentIn: request.expireCurrentIn }),
        ...(request.force === undefined ? {} : { force: request.force }),
      },
    );
  }

  /**
   * The scheduler's rotation of the period of `keyId`: the decider allows it only when due,
   * for that still-current key, under the endpoint's policy (Ed25519 only), so a duplicate
   * from another instance is refused or, with the derived idempotency key, replayed.
   */
  async rotateOnSchedule(request: RotateOnScheduleRequest): Promise<RotateOnScheduleReply> {
    const {
      secret: _none,
      publicKey,
      ...reply
    } = await this.rotation(
      SUBJECTS.command.rotateOnSchedule,
      request,
      undefined,
      undefined,
      undefined,
      { scheduledKeyId: request.keyId },
    );
    if (publicKey === undefined) throw new Error('a scheduled rotation made no Ed25519 key');
    return { ...reply, publicKey };
  }

  /** The scheduler's mark on an HMAC key whose period ended: recorded once, never a rotation. */
  async markRotationDue(request: MarkRotationDueRequest): Promise<MarkRotationDueReply> {
    const { endpointId, keyId } = request;
    const outcome = await this.run(
      SUBJECTS.command.markRotationDue,
      request,
      endpointId,
      undefined,
      { type: 'MarkRotationDue', data: { endpointId, keyId }, now: this.clock() },
    );
    return { endpointId, marked: outcome.events.length > 0, ...replayedFlag(outcome) };
  }

  private async rotation(
    subject: string,
    request: { readonly meta: RequestMeta; readonly endpointId: string },
    tenantId: string | undefined,
    signing: string | undefined,
    supplied: string | undefined,
    options: { expireCurrentIn?: number; force?: boolean; scheduledKeyId?: string },
  ): Promise<RotateSecretReply> {
    const { endpointId } = request;
    const now = this.clock();
    const fresh = await this.newKey(endpointId, now, { mustExist: true, supplied });
    const outcome = await this.run(
      subject,
      request,
      endpointId,
      tenantId,
      withKey(fresh, signing, supplied, (key) => ({
        type: 'RotateSecret',
        data: { endpointId, key, ...options },
        now,
      })),
    );
    const rotated = outcome.events.find((e) => e.type === 'SecretRotated');
    if (rotated?.type !== 'SecretRotated') throw new Error('rotation produced no SecretRotated');
    const { key } = rotated.data;
    return {
      endpointId,
      keyId: key.keyId,
      ...(outcome.replayed
        ? await this.handOver(endpointId, key)
        : handOverFresh(fresh as KeyMaker, key)),
      previousKeyId: rotated.data.previousKeyId,
      previousKeyExpiresAt: rotated.data.previousKeyExpiresAt,
      ...replayedFlag(outcome),
    };
  }

  async revokePrevious(request: RevokePreviousSecretRequest): Promise<RevokePreviousSecretReply> {
    const { endpointId } = request;
    const outcome = await this.run(
      SUBJECTS.command.revokePreviousSecret,
      request,
      endpointId,
      request.tenantId,
      { type: 'RevokePreviousSecret', data: { endpointId }, now: this.clock() },
    );
    return {
      endpoint: await this.view(endpointId, outcome.replayed ? lastRevisionOf(outcome) : undefined),
      ...replayedFlag(outcome),
    };
  }

  async expirePrevious(request: ExpirePreviousSecretRequest): Promise<ExpirePreviousSecretReply> {
    const { endpointId, keyId } = request;
    const outcome = await this.run(
      SUBJECTS.command.expirePreviousSecret,
      request,
      endpointId,
      undefined,
      { type: 'ExpirePreviousSecret', data: { endpointId, keyId }, now: this.clock() },
    );
    return { endpointId, expired: outcome.events.length > 0, ...replayedFlag(outcome) };
  }

  async delete(request: DeleteEndpointRequest): Promise<DeleteEndpointReply> {
    const { endpointId } = request;
    const outcome = await this.run(
      SUBJECTS.command.deleteEndpoint,
      request,
      endpointId,
      request.tenantId,
      { type: 'DeleteEndpoint', data: { endpointId }, now: this.clock() },
    );
    // Crypto-shredding: once the deletion is recorded, the data key goes, and with it every
    // secret the history holds. (The projector shreds too, should this process die here;
    // a replayed deletion shreds again, which is harmless.)
    await this.vault.shred(endpointId);
    return { endpointId, ...replayedFlag(outcome) };
  }

  /**
   * Makes fresh keys, sealed under the endpoint's data key before anything else sees them;
   * or why there can be none, decided only after the idempotency check (a retry of an
   * execution is answered from it, whatever has happened to the data key since). The scheme
   * is known only once the state is (a rotation keeps the current one unless told). A
   * `supplied` secret (import) is sealed the same way, as an `imported` HMAC key.
   */
  private async newKey(
    endpointId: string,
    now: Date,
    options: { mustExist: boolean; supplied?: string },
  ): Promise<KeyMaker | DomainError> {
    if (!isEndpointId(endpointId))
      rejectWith(new DomainError('endpoint_not_found', `endpoint ${endpointId} not found`));
    let sealing: { kekId: string; dataKey: Buffer } | undefined;
    try {
      if (options.mustExist) sealing = await this.vault.sealingKeyOf(endpointId);
      else {
        const wrapped = await this.vault.ensure(endpointId);
        sealing = { kekId: wrapped.kekId, dataKey: this.vault.unwrap(wrapped) };
      }
    } catch (error) {
      // A deleted endpoint's data-key stream is tombstoned: its id can never be reused.
      if ((error as { code?: unknown }).code === 'stream_deleted')
        return new DomainError('endpoint_already_exists', `endpoint ${endpointId} already exists`);
      throw error;
    }
    // No data key: the endpoint never existed or was deleted (its key shredded).
    if (!sealing) return new DomainError('endpoint_not_found', `endpoint ${endpointId} not found`);
    const { kekId, dataKey } = sealing;
    const made = new Map<SigningScheme, FreshKey>();
    // One key per scheme however often the command loop decides again (a conflict retries):
    // the reply must hand over the key that was appended.
    return (algorithm) => {
      let fresh = made.get(algorithm);
      if (!fresh) {
        // An Ed25519 private key is sealed and forgotten here: only its public half leaves.
        // (`withKey` never asks for an Ed25519 key with a supplied secret.)
        const { supplied } = options;
        const secret =
          supplied ??
          (algorithm === 'ed25519' ? generateEd25519Key().privateKey : generateSecret());
        const key = sealSecret({
          endpointId,
          keyId: newKeyId(now.getTime()),
          secret,
          algorithm,
          dataKey,
          kekId,
          createdAt: now,
          origin: supplied === undefined ? 'generated' : 'imported',
        });
        fresh = { secret, key };
        made.set(algorithm, fresh);
      }
      return fresh;
    };
  }

  /**
   * What a replay hands over again: the HMAC secret of a key an earlier execution made
   * (gone, 404, once the endpoint is deleted), or an Ed25519 key's public key.
   */
  private async handOver(endpointId: string, key: SealedKey): Promise<KeyHandOver> {
    const wrapped = await this.vault.get(endpointId);
    if (!wrapped)
      return rejectWith(new DomainError('endpoint_not_found', `endpoint ${endpointId} not found`));
    if (key.algorithm === 'ed25519') return { publicKey: key.publicKey };
    // The caller brought it: it already has it, and a reply is one more place to leak it.
    if (key.origin === 'imported') return {};
    return { secret: openSecret(endpointId, key, this.vault.unwrap(wrapped)) };
  }

  /**
   * Runs one command through `handleCommand`. `command` may be the reason it cannot be
   * made (no key material), which refuses it only if it is not a replay. `request` is what
   * an idempotency key stands for: the request as sent, without its request id.
   */
  private async run(
    subject: string,
    request: { readonly meta: RequestMeta; readonly tenantId?: string },
    endpointId: string,
    tenantId: string | undefined,
    command:
      EndpointCommand | DomainError | ((state: EndpointState) => EndpointCommand | DomainError),
  ): Promise<Outcome> {
    const { meta } = request;
    const { requestId: _differsOnRetry, ...stableMeta } = meta;
    const result = await handleCommand({
      store: this.store,
      stream: endpointStreamName(endpointId),
      initialState,
      evolve,
      upcast,
      decide: (state: EndpointState) => {
        const made = typeof command === 'function' ? command(state) : command;
        return isDomainError(made) ? made : decideForTenant(tenantId, made, state);
      },
      toStored: (event: EndpointEvent) => ({
        type: event.type,
        version: EVENT_VERSIONS[event.type],
        data: event.data,
      }),
      metadata: {
        actor: meta.actor,
        requestId: meta.requestId,
        ...(meta.idempotencyKey ? { idempotencyKey: meta.idempotencyKey } : {}),
      },
      request: { subject, ...withoutPlaintext(request), meta: stableMeta },
      now: this.clock,
      cache: this.folds,
      signer: this.kekRing.audit,
    });
    if (isDomainError(result)) return rejectWith(result);
    if (isIdempotencyKeyReused(result))
      throw new RpcException(
        errorReply(result.code, result.message, 422, { param: 'idempotencyKey' }),
      );
    // A replay answers only the caller the endpoint belongs to, like any command.
    if (result.replayed && isOtherTenant(tenantId, result.state))
      return rejectWith(new DomainError('endpoint_not_found', `endpoint ${endpointId} not found`));
    return result;
  }

  /**
   * The endpoint as the query side will show it, folded from the stream just written (up
   * to `upToRevision` for a replay: the view the first execution answered with).
   */
  private async view(endpointId: string, upToRevision?: number): Promise<EndpointView> {
    const recorded = await this.store.read(endpointStreamName(endpointId));
    const view = recorded
      .filter((e) => upToRevision === undefined || e.revision <= upToRevision)
      .reduce<EndpointView | undefined>(
        (current, e) =>
          applyToEndpointView(current, upcast(e), {
            revision: e.revision,
            occurredAt: e.metadata.occurredAt,
          }),
        undefined,
      );
    if (!view) throw new Error(`endpoint ${endpointId} has no events after a successful append`);
    return view;
  }
}

interface FreshKey {
  /** The `whsec_` secret or `whsk_` private key: only an HMAC secret is ever handed over. */
  readonly secret: string;
  readonly key: SealedKey;
}

/** Fresh key material of a scheme (the same key for the same scheme, see `newKey`). */
type KeyMaker = (algorithm: SigningScheme) => FreshKey;

/** What the one reply that may carry key material hands over: never a private key. */
type KeyHandOver = { secret: string } | { publicKey?: string };

const handOverFresh = (maker: KeyMaker, key: SealedKey): KeyHandOver =>
  key.algorithm === 'ed25519'
    ? { publicKey: key.publicKey }
    : key.origin === 'imported'
      ? {}
      : { secret: maker(key.algorithm).secret };

/**
 * The supplied secret of a request, checked by the one rule (the contract checks it too, but
 * the CLI's import calls this service in process): refused without ever being quoted.
 */
const suppliedSecretOf = (request: { readonly secret?: string }): string | undefined => {
  if (request.secret === undefined) return undefined;
  const problem = suppliedSecretProblem(request.secret);
  if (problem) rejectWith(new DomainError('invalid_command', problem, 'secret'));
  return request.secret;
};

/**
 * What an idempotency key's request digest is computed over: the request, with a supplied
 * secret replaced by its fingerprint, so no function of the plaintext but the published one
 * reaches the store's metadata.
 */
const withoutPlaintext = <R extends object>(request: R): R => {
  const { secret } = request as { secret?: unknown };
  return typeof secret === 'string'
    ? { ...request, secret: `fp:${fingerprintOf(secret)}` }
    : request;
};

/**
 * The command made with fresh key material of the scheme asked for (else the endpoint's
 * own), or why there is none.
 */
const withKey =
  (
    fresh: KeyMaker | DomainError,
    requested: string | undefined,
    supplied: string | undefined,
    command: (key: SealedKey) => EndpointCommand,
  ) =>
  (state: EndpointState): EndpointCommand | DomainError => {
    if (isDomainError(fresh)) return fresh;
    if (requested !== undefined && !isSigningScheme(requested))
      return new DomainError('invalid_command', 'unknown signing scheme', 'signing');
    // A supplied secret is an HMAC secret: it makes an HMAC key (switching an Ed25519
    // endpoint back), and cannot be asked to be anything else.
    if (supplied !== undefined && requested !== undefined && requested !== 'hmac-sha256')
      return new DomainError(
        'invalid_command',
        'a supplied secret is an HMAC secret: signing must be hmac-sha256',
        'signing',
      );
    const scheme = supplied === undefined ? signingSchemeFor(state, requested) : 'hmac-sha256';
    return command(fresh(scheme).key);
  };

const lastRevisionOf = (replay: Replay): number => replay.execution.events.at(-1)!.revision;

/** `replayed: true` on a replay, absent otherwise (proto: optional). */
const replayedFlag = (outcome: Outcome): { replayed?: true } =>
  outcome.replayed ? { replayed: true } : {};

const isOtherTenant = (tenantId: string | undefined, state: EndpointState): boolean =>
  tenantId !== undefined && state.status !== 'unregistered' && state.tenantId !== tenantId;

/**
 * Tenants are isolated here, not only at the gateway: a command naming another tenant's
 * endpoint is refused exactly as if the endpoint did not exist.
 */
export const decideForTenant = (
  tenantId: string | undefined,
  command: EndpointCommand,
  state: EndpointState,
) =>
  isOtherTenant(tenantId, state)
    ? new DomainError('endpoint_not_found', `endpoint ${command.data.endpointId} not found`)
    : decide(command, state);
