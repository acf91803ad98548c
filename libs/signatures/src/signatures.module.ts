import { Global, Module } from '@nestjs/common';
import { ESignatures } from './e-signatures.service.js';
import { SignaturesController } from './signatures.controller.js';
import { SignedRecords } from './signed-records.js';

@Global()
@Module({
  controllers: [SignaturesController],
  providers: [ESignatures, SignedRecords],
  exports: [ESignatures, SignedRecords],
})
export class SignaturesModule {}
