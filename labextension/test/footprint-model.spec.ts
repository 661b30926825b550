import type { IFootprintAPI, IHiPSStatus } from '../src/footprint/api';
import { parseHiPSProperties } from '../src/footprint/api';
import {
  cutoutPosition,
  FootprintModel,
  type INavigation,
  tileQuerySQL,
  TILE_FOV
} from '../src/footprint/model';
import { DEFAULT_SETTINGS, readSettings } from '../src/footprint/settings';
import type { ITileDetail } from '../src/footprint/types';
import { SurveylabAPIError } from '../src/request';

function tileDetail(name: string, ra: number, dec: number): ITileDetail {
  return {
    name,
    ra,
    dec,
    corners: [
      [ra + 0.365, dec - 0.365],
      [ra - 0.365, dec - 0.365],
      [ra - 0.365, dec + 0.365],
      [ra + 0.365, dec + 0.365]
    ],
    bounds: {
      ra_min: ra - 0.37,
      ra_max: ra + 0.37,
      dec_min: dec - 0.37,
      dec_max: dec + 0.37
    },
    unique_area: null,
    crosses_ra0: false,
    objects: 4032,
    bands: ['g', 'r', 'i'],
    images: []
  };
}

const M2_TILE = tileDetail('DES2134-0041', 323.548, -0.6972);

/** A server with one tile, holding the positions within 0.4° of its centre. */
class FakeAPI implements IFootprintAPI {
  calls: string[] = [];
  tileOutlines = (): Promise<unknown> => Promise.resolve({});
  healpixCounts = () => Promise.reject(new Error('not used'));
  moc = () => Promise.reject(new Error('not used'));
  hips = (): Promise<IHiPSStatus> =>
    Promise.resolve({ available: false, message: '' });

  tilesAt(ra: number, dec: number) {
    this.calls.push(`tilesAt ${ra} ${dec}`);
    const inside =
      Math.abs(ra - M2_TILE.ra) < 0.4 && Math.abs(dec - M2_TILE.dec) < 0.4;
    const tile = inside ? M2_TILE.name : null;
    return Promise.resolve({ ra, dec, tile, tiles: tile ? [tile] : [] });
  }

  tile(name: string) {
    this.calls.push(`tile ${name}`);
    if (name === M2_TILE.name) {
      return Promise.resolve(M2_TILE);
    }
    return Promise.reject(
      new SurveylabAPIError({
        status: 404,
        url: `footprint/tiles/${name}`,
        message: `unknown tile: ${name}`
      })
    );
  }
}

function setUp() {
  const api = new FakeAPI();
  const model = new FootprintModel(api);
  const navigations: INavigation[] = [];
  model.navigate.connect((_, target) => navigations.push(target));
  return { api, model, navigations };
}

describe('FootprintModel.search', () => {
  it('goes to a tile by name and shows it', async () => {
    const { api, model, navigations } = setUp();
    await model.search('des2134-0041');
    expect(api.calls).toEqual(['tile DES2134-0041']);
    expect(navigations).toEqual([
      { ra: M2_TILE.ra, dec: M2_TILE.dec, fov: TILE_FOV }
    ]);
    expect(model.selection).toEqual({
      status: 'ready',
      tile: M2_TILE,
      position: null
    });
  });

  it("shows the server's message for an unknown tile", async () => {
    const { model, navigations } = setUp();
    await model.search('DES0000+9999');
    expect(model.selection).toEqual({
      status: 'error',
      message: 'unknown tile: DES0000+9999'
    });
    expect(navigations).toEqual([]);
  });

  it('goes to a position and shows the tile holding it', async () => {
    const { api, model, navigations } = setUp();
    await model.search('21:33:27 -0:49:24');
    const ra = (21 + 33 / 60 + 27 / 3600) * 15;
    const dec = -(49 / 60 + 24 / 3600);
    expect(navigations).toHaveLength(1);
    expect(navigations[0].ra).toBeCloseTo(ra, 9);
    expect(api.calls).toEqual([
      `tilesAt ${navigations[0].ra} ${navigations[0].dec}`,
      'tile DES2134-0041'
    ]);
    const selection = model.selection;
    expect(selection.status).toBe('ready');
    if (selection.status === 'ready') {
      expect(selection.tile.name).toBe('DES2134-0041');
      expect(selection.position?.dec).toBeCloseTo(dec, 9);
    }
  });

  it('goes to a position outside the footprint and says so', async () => {
    const { model, navigations } = setUp();
    await model.search('10 -40');
    expect(navigations).toEqual([{ ra: 10, dec: -40, fov: TILE_FOV }]);
    expect(model.selection).toEqual({
      status: 'outside',
      position: { ra: 10, dec: -40 },
      message:
        "RA 00:40:00.0, Dec -40:00:00 (10.0000°, -40.0000°) is outside the survey's footprint: no tile holds it."
    });
  });

  it('says what is wrong with bad input, and asks nothing of the server', async () => {
    const { api, model, navigations } = setUp();
    await model.search('21:33:27 -95:00:00');
    expect(model.selection).toEqual({
      status: 'error',
      message: 'Dec "-95:00:00" is outside -90…+90 degrees'
    });
    expect(api.calls).toEqual([]);
    expect(navigations).toEqual([]);
  });

  it("shows the server's message when the lookup fails", async () => {
    const { api, model } = setUp();
    api.tilesAt = () =>
      Promise.reject(
        new SurveylabAPIError({
          status: 503,
          url: 'footprint/tiles',
          message: 'the catalog is not available'
        })
      );
    await model.selectAt(323.36, -0.82);
    expect(model.selection).toEqual({
      status: 'error',
      message: 'the catalog is not available'
    });
  });

  it('keeps only the answer to the latest request', async () => {
    const { api, model } = setUp();
    let release: () => void = () => undefined;
    const slow = new Promise<void>(resolve => {
      release = resolve;
    });
    const tile = api.tile.bind(api);
    api.tile = async (name: string) => {
      await slow;
      return tile(name);
    };
    const first = model.search('DES2134-0041');
    await model.search('10 -40'); // outside: answered at once
    release();
    await first;
    expect(model.selection.status).toBe('outside');
  });

  it('emits changed for each step and clears the selection', async () => {
    const { model } = setUp();
    const states: string[] = [];
    model.changed.connect(() => states.push(model.selection.status));
    await model.search('DES2134-0041');
    model.clearSelection();
    expect(states).toEqual(['loading', 'ready', 'idle']);
  });
});

describe('FootprintModel overlays', () => {
  it('starts loading, with the visibility asked for', () => {
    const model = new FootprintModel(new FakeAPI(), { moc: false });
    expect(model.overlay('moc')).toEqual({
      status: 'loading',
      visible: false,
      message: '',
      count: 0
    });
    expect(model.overlay('tiles').visible).toBe(true);
  });

  it('toggles only an overlay that is ready', () => {
    const model = new FootprintModel(new FakeAPI());
    model.setVisible('hips', false);
    expect(model.overlay('hips').visible).toBe(true);
    model.setOverlayStatus('hips', {
      status: 'unavailable',
      message: 'run `surveylab hips build`'
    });
    model.setVisible('hips', false);
    expect(model.overlay('hips').visible).toBe(true);
    model.setOverlayStatus('tiles', { status: 'ready', count: 784 });
    model.setVisible('tiles', false);
    expect(model.overlay('tiles')).toEqual({
      status: 'ready',
      visible: false,
      message: '',
      count: 784
    });
  });
});

describe('tile actions', () => {
  it('queries the objects of the tile from DR1_MAIN', () => {
    expect(tileQuerySQL('DES2134-0041')).toBe(
      'SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, MAG_AUTO_Z, MAG_AUTO_Y,\n' +
        '       EXTENDED_CLASS_COADD\n' +
        'FROM DR1_MAIN\n' +
        "WHERE TILENAME = 'DES2134-0041'"
    );
  });

  it('quotes a quote in a tile name', () => {
    expect(tileQuerySQL("X'Y")).toContain("WHERE TILENAME = 'X''Y'");
  });

  it('cuts out at the chosen position, else at the centre of the tile', () => {
    expect(cutoutPosition(M2_TILE, { ra: 323.36, dec: -0.82 })).toBe(
      '323.360000 -0.820000'
    );
    expect(cutoutPosition(M2_TILE, null)).toBe('323.548000 -0.697200');
  });
});

describe('parseHiPSProperties', () => {
  it('reads key = value lines and skips comments and blanks', () => {
    const text =
      '# HiPS\nobs_title         = DEMO DR1\n\nhips_order = 5\r\nhips_initial_ra = 323.36\nno equals sign\n';
    expect(parseHiPSProperties(text)).toEqual({
      obs_title: 'DEMO DR1',
      hips_order: '5',
      hips_initial_ra: '323.36'
    });
  });
});

describe('readSettings', () => {
  it('takes valid values', () => {
    expect(
      readSettings({
        healpixNside: 64,
        mocOrder: 8,
        overlays: { hips: false, tiles: true, healpix: false, moc: true }
      })
    ).toEqual({
      healpixNside: 64,
      mocOrder: 8,
      overlays: { hips: false, tiles: true, healpix: false, moc: true }
    });
  });

  it.each([
    ['nothing', {}],
    ['an NSIDE that is not a power of 2', { healpixNside: 30 }],
    ['an NSIDE beyond the catalog', { healpixNside: 2048 }],
    ['a fractional order', { mocOrder: 8.5 }],
    ['an order too deep', { mocOrder: 14 }],
    ['overlays of the wrong type', { overlays: { hips: 'yes' } }]
  ])('keeps the defaults for %s', (_, composite) => {
    expect(readSettings(composite)).toEqual(DEFAULT_SETTINGS);
  });
});
