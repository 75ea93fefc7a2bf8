import { Module } from '@nestjs/common';
import { HealthModule } from '@rotor/runtime';
import { ProjectorService } from './projector.service';

@Module({
  imports: [HealthModule.forService('projector', { store: 'writes' })],
  providers: [ProjectorService],
  exports: [ProjectorService],
})
export class ProjectorModule {}
