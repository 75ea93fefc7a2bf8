/**
 * The read models the projector maintains are wire contracts (proto/rotor/v1/views.proto):
 * the signer, query service and expiry scheduler read them from the KV buckets.
 */
export type {
  EndpointView,
  KeyRingKey,
  KeyRingView,
  KeyStatus,
  KeyView,
  PublicKeyView,
} from '@rotor/contracts';
