import './base.css';
import './query.css';
import './jobs.css';
import './gallery.css';
import './footprint.css';
import './deadline.css';
import './status.css';
