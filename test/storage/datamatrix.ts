import zxing from '@zxing/library';
import pngjs from 'pngjs';

const { BinaryBitmap, DataMatrixReader, HybridBinarizer, RGBLuminanceSource } = zxing;

/** Decodes the DataMatrix in a PNG with ZXing (an independent decoder): the raw text, FNC1 shown as GS. */
export function decodeDataMatrix(png: Buffer): string {
  const image = pngjs.PNG.sync.read(png);
  const luminance = new Uint8ClampedArray(image.width * image.height);
  for (let i = 0; i < luminance.length; i++) luminance[i] = (image.data[i * 4] + image.data[i * 4 + 1] + image.data[i * 4 + 2]) / 3;
  const bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(luminance, image.width, image.height)));
  return new DataMatrixReader().decode(bitmap).getText();
}
