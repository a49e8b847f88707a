/**
 * A one-line progress bar on a terminal; nothing at all elsewhere (CI logs get the plain lines
 * the commands print instead).
 */
export class Progress {
  private total = 0;
  private done = 0;
  private label = '';
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly enabled: boolean,
  ) {}

  start(total: number, label: string): void {
    this.total = total;
    this.done = 0;
    this.label = label;
    this.draw();
  }

  tick(): void {
    this.done++;
    this.draw();
  }

  /** Prints a line above the bar. */
  log(line: string, stream: NodeJS.WriteStream = process.stdout): void {
    this.clear();
    stream.write(`${line}\n`);
    this.draw();
  }

  stop(): void {
    this.clear();
    this.total = 0;
  }

  private clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(): void {
    if (!this.enabled || this.total === 0) return;
    const width = 28;
    const filled = Math.round((this.done / this.total) * width);
    this.stream.write(`\r\x1b[2K${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total}`);
    this.drawn = true;
  }
}
