import { Module } from '@nestjs/common';
import { EndpointCommandsController } from './endpoint-commands.controller';
import { EndpointCommandsService } from './endpoint-commands.service';

/** Needs RuntimeModule (store, vault, clock) imported by the process that hosts it. */
@Module({
  controllers: [EndpointCommandsController],
  providers: [EndpointCommandsService],
})
export class CommandModule {}
