import { Module } from '@nestjs/common';
import { HealthModule } from '@rotor/runtime';
import { AnchorService } from './anchor.service';
import { EndpointCommandsController } from './endpoint-commands.controller';
import { EndpointCommandsService } from './endpoint-commands.service';

/** Needs RuntimeModule (store, vault, clock) imported by the process that hosts it. */
@Module({
  imports: [HealthModule.forService('command', { store: 'writes' })],
  controllers: [EndpointCommandsController],
  providers: [EndpointCommandsService, AnchorService],
})
export class CommandModule {}
