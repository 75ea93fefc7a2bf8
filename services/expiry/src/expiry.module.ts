import { Module } from '@nestjs/common';
import { ExpirySchedulerService } from './expiry-scheduler.service';

@Module({ providers: [ExpirySchedulerService], exports: [ExpirySchedulerService] })
export class ExpiryModule {}
