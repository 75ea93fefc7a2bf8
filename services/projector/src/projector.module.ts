import { Module } from '@nestjs/common';
import { HealthModule } from '@rotor/runtime';
import { IntegrationEventsPublisher } from './integration-events.publisher';
import { ProjectorService } from './projector.service';

@Module({
  imports: [HealthModule.forService('projector', { store: 'writes' })],
  providers: [ProjectorService, IntegrationEventsPublisher],
  exports: [ProjectorService, IntegrationEventsPublisher],
})
export class ProjectorModule {}
