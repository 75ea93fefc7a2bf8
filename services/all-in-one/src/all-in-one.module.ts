import { DynamicModule, Module } from '@nestjs/common';
import type { RotorConfig } from '@rotor/config';
import type { KekRing } from '@rotor/crypto';
import { InMemoryKvFactory, InProcessBus } from '@rotor/messaging';
import { RuntimeModule } from '@rotor/runtime';
import { CommandModule } from '../../command/src/command.module';
import { ExpiryModule } from '../../expiry/src/expiry.module';
import { GatewayModule } from '../../gateway/src/gateway.module';
import { ProjectorModule } from '../../projector/src/projector.module';
import { QueryModule } from '../../query/src/query.module';
import { SignerModule } from '../../signer/src/signer.module';

/**
 * Every service in one process: the same modules as the distributed mode, with the
 * in-process bus in place of NATS and in-memory buckets in place of JetStream KV (the
 * projector rebuilds them from the store on every start, so nothing is lost).
 */
@Module({})
export class AllInOneModule {
  static forRoot(options: {
    config: RotorConfig;
    kekRing: KekRing;
    bus: InProcessBus;
  }): DynamicModule {
    return {
      module: AllInOneModule,
      imports: [
        RuntimeModule.forRoot({
          service: 'all-in-one',
          config: options.config,
          kekRing: options.kekRing,
          transport: { kind: 'in-process', bus: options.bus, kv: new InMemoryKvFactory() },
        }),
        CommandModule,
        ProjectorModule,
        ExpiryModule,
        SignerModule,
        QueryModule,
        GatewayModule,
      ],
    };
  }
}
