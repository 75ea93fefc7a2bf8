import { Module } from '@nestjs/common';
import { HealthModule } from '@rotor/runtime';
import { EndpointCommandsController } from './endpoint-commands.controller';
import { EndpointCommandsService } from './endpoint-commands.service';

/** Needs RuntimeModule (store, vault, clock) imported by the process that hosts it. */
@Module({
  imports: [HealthModule.forService('command', { store: 'writes' })],
  controllers: [EndpointCommandsController],
  providers: [EndpointCommandsService],
})
export class CommandModule {}
