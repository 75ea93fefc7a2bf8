import { Module } from '@nestjs/common';
import { HealthModule } from '@rotor/runtime';
import { ExpirySchedulerService } from './expiry-scheduler.service';

@Module({
  imports: [HealthModule.forService('expiry')],
  providers: [ExpirySchedulerService],
  exports: [ExpirySchedulerService],
})
export class ExpiryModule {}
